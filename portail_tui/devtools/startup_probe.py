"""Measure start-up: run the real application (through the CLI module) headless and stop as soon as the login
screen is on screen. Used by bench/bench_foundation.py (process start to login)."""

from __future__ import annotations

import sys
import time

T0 = time.perf_counter()


def main() -> None:
    from portail_tui.cli.core import open_app_context
    from portail_tui.clock import Clock
    from portail_tui.config import Settings

    settings = Settings.from_env()
    from portail_tui.app import PortailApp
    from portail_tui.screens.login import LoginScreen

    class ProbeApp(PortailApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.set_interval(0.002, self._check)

        def _check(self) -> None:
            if isinstance(self.screen, LoginScreen) and self.screen.is_mounted:
                self.call_after_refresh(lambda: self.exit(time.perf_counter() - T0))

    app = ProbeApp(open_context=lambda: open_app_context(settings, Clock(settings.today)))
    elapsed = app.run(headless=True, size=(120, 40))
    print(f"{elapsed:.4f}")
    sys.exit(0)


if __name__ == "__main__":
    main()
