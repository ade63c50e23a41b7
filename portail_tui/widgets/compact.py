"""Where the compact layout starts: below 100 columns or 30 rows (80×24 is the default
SSH terminal). The app turns these into the screens' `-narrow` / `-short` classes
(Textual breakpoints) that the stylesheets use; the calendar, which draws its own
grid, reads the row count here."""

from __future__ import annotations

COMPACT_BELOW_COLUMNS = 100
COMPACT_BELOW_ROWS = 30
