"""Run mypy on portail_tui and compare its errors with a baseline that may only shrink.

Why a baseline: the UI / CLI side (app, screens, widgets, cli, demo, devtools, migrations, web,
config, clock) is checked non-strictly and still carries old errors; freezing them lets `make test`
fail on every *new* error today without fixing hundreds of old ones first. The strict packages
(everything not listed as relaxed in pyproject's first `[[tool.mypy.overrides]]`) are meant to have
no entry at all: `--strict-packages-clean` enforces that.

Errors are compared as a multiset of ``path: [code] message`` — no line numbers — so moving code
around does not churn the file, while a second copy of the same error still counts as new.

Usage (from the repository root):
    python tests/mypy_baseline.py                          check (what `make typecheck` runs)
    python tests/mypy_baseline.py --update                 rewrite the baseline (`make typecheck-baseline`)
    python tests/mypy_baseline.py --strict-packages-clean  also refuse baseline entries in strict packages
The flag combines with --update. `--mypy-output FILE` reads a saved mypy run instead of running it.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "mypy-baseline.txt"
PYPROJECT = ROOT / "pyproject.toml"
REGENERATE = "make typecheck-baseline"
HEADER = (
    "# mypy errors tolerated outside the strict packages; this file may only shrink.\n"
    f"# Regenerate with `{REGENERATE}` (python tests/mypy_baseline.py --update).\n"
)

_ERROR = re.compile(r"^(?P<path>[^:\s][^:]*\.pyi?):\d+(?::\d+)?: error: (?P<msg>.*?)(?:\s+\[(?P<code>[a-z0-9-]+)\])?$")
_LINE_REF = re.compile(r"\bon line \d+\b|\bline \d+\b")


def normalise(mypy_output: str) -> Counter[str]:
    """One entry per error: `path: [code] message`, line numbers removed (notes are dropped)."""
    entries: Counter[str] = Counter()
    for raw in mypy_output.splitlines():
        match = _ERROR.match(raw.strip())
        if match is None:
            continue
        path = match["path"].replace("\\", "/")
        message = _LINE_REF.sub("line N", match["msg"].strip())
        entries[f"{path}: [{match['code'] or 'misc'}] {message}"] += 1
    return entries


def read_baseline(path: Path = BASELINE) -> Counter[str]:
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(entries: Counter[str], path: Path = BASELINE) -> None:
    body = "".join(f"{entry}\n" for entry in sorted(entries.elements()))
    path.write_text(HEADER + body, encoding="utf-8")


def relaxed_patterns(pyproject: Path = PYPROJECT) -> list[str]:
    """Module patterns of the non-strict override: the one place that says what is not strict."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    patterns: list[str] = []
    for override in config.get("tool", {}).get("mypy", {}).get("overrides", []):
        if override.get("disallow_untyped_defs") is False:
            modules = override["module"]
            patterns.extend([modules] if isinstance(modules, str) else modules)
    return patterns


def module_of(path: str) -> str:
    dotted = path.removesuffix(".pyi").removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def is_strict(entry: str, patterns: Iterable[str]) -> bool:
    module = module_of(entry.split(":", 1)[0])
    for pattern in patterns:
        if pattern.endswith(".*"):
            base = pattern[:-2]
            if module == base or module.startswith(base + "."):
                return False
        elif fnmatch.fnmatchcase(module, pattern):
            return False
    return True


def run_mypy() -> str:
    """mypy reads its configuration from pyproject.toml; exit 1 means "errors found", 2 a crash."""
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty", "--hide-error-context"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"mypy failed to run (exit {completed.returncode})")
    return completed.stdout


def compare(current: Counter[str], baseline: Counter[str]) -> tuple[list[str], list[str]]:
    """(errors not in the baseline, baseline entries that no longer occur), each sorted."""
    new = sorted((current - baseline).elements())
    gone = sorted((baseline - current).elements())
    return new, gone


def strict_entries(entries: Counter[str], patterns: list[str]) -> list[str]:
    return sorted(e for e in entries.elements() if is_strict(e, patterns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline from this run")
    parser.add_argument(
        "--strict-packages-clean",
        action="store_true",
        help="fail when the baseline (or the run, with --update) has entries in strict packages",
    )
    parser.add_argument("--mypy-output", type=Path, help="read mypy's output from this file")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help=argparse.SUPPRESS)
    parser.add_argument("--pyproject", type=Path, default=PYPROJECT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    output = args.mypy_output.read_text(encoding="utf-8") if args.mypy_output else run_mypy()
    current = normalise(output)
    patterns = relaxed_patterns(args.pyproject)

    if args.update:
        if args.strict_packages_clean and (bad := strict_entries(current, patterns)):
            _report("mypy errors in strict packages (fix them, they cannot be baselined):", bad)
            return 1
        write_baseline(current, args.baseline)
        print(f"{args.baseline.name}: {sum(current.values())} entries written")
        return 0

    baseline = read_baseline(args.baseline)
    failed = False
    if args.strict_packages_clean and (bad := strict_entries(baseline, patterns)):
        _report("baseline entries in strict packages (fix them and regenerate):", bad)
        failed = True
    new, gone = compare(current, baseline)
    if new:
        _report("new mypy errors (not in the baseline):", new)
        failed = True
    if gone:
        _report(f"fixed errors still in the baseline — run `{REGENERATE}` to shrink it:", gone)
        failed = True
    if not failed:
        print(f"mypy: {sum(current.values())} errors, all in the baseline, none new")
    return 1 if failed else 0


def _report(title: str, entries: list[str]) -> None:
    print(title)
    for entry in entries:
        print(f"  {entry}")


if __name__ == "__main__":
    raise SystemExit(main())
