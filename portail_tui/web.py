"""Former home of `offer_download`, kept so that screens importing it from here keep
working while they move: the function is `portail_tui.widgets.download.offer_download`;
serving (`portail serve`) is `portail_tui.cli.web`. Nothing below the UI may import this
module (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

from portail_tui.widgets.download import offer_download

__all__ = ["offer_download"]
