"""Demo town generator: `generate(db, families=…, seed=…, today=…)` fills an empty
database with a deterministic fictional régie (see `generator`)."""

from portail_tui.demo.generator import (
    DEMO_ACCOUNTS,
    DemoAccount,
    DemoError,
    DemoReport,
    generate,
)

__all__ = ["DEMO_ACCOUNTS", "DemoAccount", "DemoError", "DemoReport", "generate"]
