"""One agent process of `portail stress`: ``python -m portail_tui.cli.stress SPEC.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from portail_tui.cli.stress.worker import WorkerSpec, run_worker

run_worker(WorkerSpec.from_json(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
