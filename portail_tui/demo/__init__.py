"""Demo town generator: `generate(db, families=…, seed=…, today=…)` fills an empty
database with a deterministic fictional régie (see `generator`)."""

from portail_tui.demo.generator import generate
from portail_tui.demo.spec import DEMO_ACCOUNTS, DemoAccount, DemoError, DemoReport

__all__ = ["DEMO_ACCOUNTS", "DemoAccount", "DemoError", "DemoReport", "generate"]
