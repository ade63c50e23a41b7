"""The digest that chains a régie's payment rows (B4): each entry's digest covers its
own immutable fields and the digest of the régie's previous entry, so changing,
replacing, removing or slipping in a row anywhere breaks every digest after it and
`db check` names the first one.

Pure: values in, hexadecimal digest out. Dates and instants are taken in whatever
form a driver hands back (date/datetime objects, naive UTC or aware, or SQLite text)
and reduced to one canonical text, so the digest computed at insert equals the one
recomputed from the stored row on either engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

# The immutable fields of a payment row, in the order they are hashed. Changing this
# list (or VERSION) changes every digest: it needs a migration that re-chains the rows.
CHAIN_FIELDS: tuple[str, ...] = (
    "id", "regie_id", "family_id", "receipt_number", "kind", "mode", "amount_cents", "payer_name",
    "cheque_number", "cheque_bank", "cheque_drawer", "reference", "reverses_id", "reason",
    "business_day", "created_at", "created_by",
)
VERSION = "portail-payment-chain-v1"
GENESIS = ""  # the "previous digest" of a régie's first entry
DIGEST_LENGTH = 64


def _canonical_day(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def _canonical_instant(value: object) -> str:
    """Naive UTC, microseconds: how AwareDateTime stores an instant on both engines
    (an aware value is converted; a naive one is already stored UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="microseconds")


def _canonical(name: str, value: object) -> object:
    if value is None:
        return None
    if name == "business_day":
        return _canonical_day(value)
    if name == "created_at":
        return _canonical_instant(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return str(value)


def entry_digest(previous: str, row: Mapping[str, object]) -> str:
    """The digest of one entry given the digest of the régie's previous entry."""
    values = [_canonical(name, row[name]) for name in CHAIN_FIELDS]
    payload = json.dumps([VERSION, previous, values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
