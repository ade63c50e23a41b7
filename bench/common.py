"""What every benchmark script shares: the project on the import path, the town they
measure by default, and the percentile and verdict helpers (one definition each)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Made by `python bench/bench_demo.py --keep data/bench-town.db` or by `make bench`.
DEFAULT_TOWN = ROOT / "data" / "bench-town.db"


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def verdict(ok: bool) -> str:
    return "OK" if ok else "HORS BUDGET"
