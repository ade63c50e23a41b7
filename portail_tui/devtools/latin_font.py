"""Make the Latin-only DejaVu font shipped in `portail_tui/fonts/` from the full one.

`python -m portail_tui.devtools.latin_font` rewrites `DejaVuSans-Latin.ttf`; run it
after changing `exports.fonts.LATIN_RANGES` or the full font (a test checks that the
shipped file is exactly what this produces). Made once here rather than at run time,
so that no session ever writes or depends on a font cache.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont

from portail_tui.exports.fonts import FONT_DIR, FULL_FONT, LATIN_CODEPOINTS, LATIN_FONT


def reduce_font(source: Path) -> bytes:
    """The font at `source` cut down to LATIN_CODEPOINTS, outlines and metrics only;
    the same bytes for the same source (no timestamp)."""
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    options = ftsubset.Options()
    # fpdf2 does no shaping without HarfBuzz and drops layout tables when it embeds:
    # keep only outlines and metrics.
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.glyph_names = True  # stored names: cheaper to load than names derived from the cmap
    options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "kern", "hdmx", "LTSH", "VDMX", "MATH", "gasp"]
    font = TTFont(str(source), recalcTimestamp=False)
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=sorted(LATIN_CODEPOINTS))
    subsetter.subset(font)
    # Every document embeds this font: keep one Unicode cmap and the few names a PDF
    # reader shows, which makes that per-document step cheaper.
    font["cmap"].tables = [t for t in font["cmap"].tables if (t.platformID, t.platEncID) == (3, 1)]
    font["name"].names = [n for n in font["name"].names if n.platformID == 3 and n.nameID in (1, 2, 4, 6)]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def main() -> None:
    target = FONT_DIR / LATIN_FONT
    target.write_bytes(reduce_font(FONT_DIR / FULL_FONT))
    print(f"{target} ({target.stat().st_size} octets)")


if __name__ == "__main__":
    main()
