"""The DejaVu font of every PDF (statements, journals, receipts), shipped in the package.

A counter session lasts all day while the program may be reinstalled or redeployed
under it: no document may depend on a font file still being where it was when the
session started. Each font file is read once per process, on first use, and every
document is then made from those bytes in memory; deleting or replacing the files
afterwards changes nothing for running sessions.

Speed matters too (a receipt is printed while the family waits): loading and
subsetting the full DejaVu font costs ~100 ms per document, so a Latin-only copy
(≈ 400 glyphs instead of 6 000, made by `portail_tui.devtools.latin_font` and shipped
beside the full font) is used whenever a document's text fits in it, embedded whole
and prepared once per process; any other character uses the full font, subset per
document by fpdf2.
"""

from __future__ import annotations

import copy
import io
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from portail_tui.exports.errors import ExportError
from portail_tui.exports.files import os_error_reason

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FULL_FONT = "DejaVuSans.ttf"
LATIN_FONT = "DejaVuSans-Latin.ttf"
FAMILY = "DejaVu"
_FONTKEY = FAMILY.lower()

# What French documents need, and then some: Latin-1, Latin Extended-A (names from
# most of Europe), the usual punctuation (spaces incl. the narrow no-break space,
# dashes, quotes, ellipsis, per mille, guillemets), €, №, ™, minus sign. Fewer glyphs
# make each document faster; anything else uses the full font.
LATIN_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x200B), (0x2010, 0x2027), (0x202F, 0x2030),
    (0x2039, 0x203A), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122), (0x2212, 0x2212),
)
LATIN_CODEPOINTS = frozenset(cp for lo, hi in LATIN_RANGES for cp in range(lo, hi + 1))

# fontTools reports every table it drops while subsetting; nothing a person can act on.
logging.getLogger("fontTools").setLevel(logging.ERROR)
logging.getLogger("fpdf").setLevel(logging.ERROR)


def fits_latin(strings: Iterable[str]) -> bool:
    """True when every printable character of `strings` is in the Latin-only font."""
    return all(ord(ch) in LATIN_CODEPOINTS for text in strings for ch in text if ch >= " ")


def full_font_files() -> dict[str, Path]:
    """The shipped full font, by style ("" = regular, the only style: bold is stroked)."""
    return {"": FONT_DIR / FULL_FONT}


def latin_font_files() -> dict[str, Path]:
    """The shipped Latin-only font, by style, read into memory now (a batch calls this
    before starting its worker processes, which then inherit the bytes)."""
    files = {"": FONT_DIR / LATIN_FONT}
    font_bytes(files[""])
    return files


# --- the bytes, once per process -----------------------------------------------------

_LOCK = threading.Lock()  # export workers are threads: one read, one parse per font
_BYTES: dict[Path, bytes] = {}


def font_bytes(path: Path) -> bytes:
    """The content of a font file, read on first use and kept for the life of the
    process. A file that cannot be read (a broken installation) is an ExportError
    whose French message says so; the next document tries again."""
    data = _BYTES.get(path)
    if data is None:
        with _LOCK:
            data = _BYTES.get(path)
            if data is None:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise ExportError(
                        f"PDF impossible : la police {path.name} est illisible ({os_error_reason(exc)}) ; "
                        "l'installation du programme est à vérifier."
                    ) from exc
                _BYTES[path] = data
    return data


# --- one parsed font per process, a cheap copy per document --------------------------

# Parsed fonts kept for the life of the process, by file.
_PROTOTYPES: dict[Path, TTFFont] = {}


def _parsed(pdf: FPDF, data: bytes) -> TTFFont:
    """fpdf2's TrueType font built from bytes in memory: `FPDF.add_font` only accepts a
    path that exists, while the font object itself reads any file object (fpdf2 2.8)."""
    font = TTFFont(pdf, io.BytesIO(data), _FONTKEY, "")  # type: ignore[arg-type]  # a file object, not a path
    # Outlines are embedded unchanged: recomputing every glyph's bounding box when the
    # subset is saved only costs time (a third of the document's).
    font.ttfont.recalcBBoxes = False
    return font


class _EmbeddedFont:
    """Stands for fontTools' TTFont in fpdf2's font-embedding step, for the Latin font.

    fpdf2 subsets every font of every document with fontTools, which costs more than
    laying out a whole statement. The Latin font is small (≈ 400 glyphs, ≈ 20 kB), so
    it is embedded whole: subset once per process (with fpdf2's own options), saved
    once, and each document's embedding step only looks glyph ids up and writes the
    saved bytes. The few methods fpdf2 calls on a TTFont at that step are all here."""

    def __init__(self, font: TTFont, data: bytes) -> None:
        self._font = font
        self._data = data

    def getGlyphID(self, name: str) -> int:  # noqa: N802 - fontTools' name
        return int(self._font.getGlyphID(name))

    def save(self, file: Any) -> None:
        file.write(self._data)

    def __contains__(self, tag: str) -> bool:
        return tag in self._font

    def __getitem__(self, tag: str) -> Any:
        return self._font[tag]

    def close(self) -> None:
        """Shared by every document: never closed."""


_SUBSET_OPTIONS = ftsubset.Options


class _Subsetter(ftsubset.Subsetter):  # type: ignore[misc]  # fontTools ships no type information
    def subset(self, font: Any) -> None:
        if isinstance(font, _EmbeddedFont):
            return  # already the whole font, as embedded
        super().subset(font)


def _install_subset_shim() -> bool:
    """Let fpdf2's embedding step skip fontTools for an `_EmbeddedFont` (every other font
    goes through the real subsetter, unchanged). False if fpdf2 is not laid out as
    expected, in which case fonts are subset per document as usual."""
    import fpdf.output as fpdf_output

    current = vars(fpdf_output).get("ftsubset")
    if getattr(current, "Subsetter", None) is _Subsetter:
        return True
    if current is not ftsubset:
        return False
    vars(fpdf_output)["ftsubset"] = SimpleNamespace(Options=_SUBSET_OPTIONS, Subsetter=_Subsetter)
    return True


_SHIM = _install_subset_shim()
_EMBEDDED: dict[Path, _EmbeddedFont] = {}


def _embedded_font(path: Path, data: bytes) -> _EmbeddedFont:
    embedded = _EMBEDDED.get(path)
    if embedded is None:
        font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
        # The options fpdf2 2.8 uses when it embeds a font (output.py, _add_fonts).
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
        options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT",
                                "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR"]
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=font.getGlyphOrder())
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        _EMBEDDED[path] = embedded = _EmbeddedFont(font, buffer.getvalue())
    return embedded


def _prototype(path: Path, data: bytes, *, whole: bool) -> TTFFont:
    proto = _PROTOTYPES.get(path)
    if proto is None:
        with _LOCK:
            proto = _PROTOTYPES.get(path)
            if proto is None:
                proto = _parsed(FPDF(), data)
                if whole and _SHIM:
                    _embedded_font(path, data)
                _PROTOTYPES[path] = proto
    return proto


def install_font(pdf: FPDF, strings: Iterable[str]) -> None:
    """Give `pdf` the DejaVu font (family FAMILY, regular style) for a document whose
    text is `strings`: the Latin-only font when the text fits in it, else the full font.

    fpdf2 reads a font's cmap and widths on every `add_font`; those are the same for
    every document, so the parsed font is kept once per process and each document gets
    a shallow copy with its own glyph subset and font descriptor. The Latin font's copy
    embeds the whole font, prepared once (`_EmbeddedFont`); the full font's copy gets a
    fresh lazily-read fontTools object that fpdf2 subsets. Relies on fpdf2's TTFFont
    layout (pinned version); any surprise falls back to a font parsed for this document
    alone, from the same bytes. Raises ExportError when the font cannot be read."""
    whole = fits_latin(strings)
    path = FONT_DIR / (LATIN_FONT if whole else FULL_FONT)
    data = font_bytes(path)
    try:
        source = _prototype(path, data, whole=whole)
        font = copy.copy(source)
        font.i = len(pdf.fonts) + 1
        if whole and _SHIM:
            font.ttfont = _embedded_font(path, data)  # stands for a TTFont (ttfont is Any)
        else:
            font.ttfont = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
        font.desc = copy.copy(source.desc)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        pdf.fonts[_FONTKEY] = font
    except ExportError:
        raise
    except Exception:  # noqa: BLE001 - parsing for this document alone always works, only slower
        pdf.fonts[_FONTKEY] = _parsed(pdf, data)
