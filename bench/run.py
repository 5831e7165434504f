"""Run every benchmark: `make bench` (or `python bench/run.py [name ...]`).

Discovers bench/bench_*.py in name order, runs each as its own process (`python bench/bench_x.py`)
with the same environment, prints each one's one-line result and exits non-zero if any failed.

The benchmarks measure PostgreSQL: point DATABASE_URL at it, e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk make bench

bench_00_seed_scale.py runs first and fills the database with `manage.py seed_scale` (1,000,000
tickets unless BENCH_TICKETS says otherwise; skipped when the database already holds that many),
so the later benchmarks measure a full-size database. On SQLite only the benchmarks whose source
declares `SUPPORTS_SQLITE = True` run; the others are reported as not run and the exit status is 2.
Arguments select benchmarks by name (`python bench/run.py queue` runs bench_*queue*.py).
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "3600"))


def database_is_sqlite() -> bool:
    url = os.environ.get("DATABASE_URL", "")
    return not url or url.startswith("sqlite")


def supports_sqlite(path: Path) -> bool:
    return re.search(r"^SUPPORTS_SQLITE\s*=\s*True", path.read_text(), re.MULTILINE) is not None


def discover(selected: list[str]) -> list[Path]:
    benches = sorted(HERE.glob("bench_*.py"))
    if selected:
        benches = [b for b in benches if any(s in b.stem for s in selected)]
    return benches


def run_one(path: Path) -> tuple[bool, str, float]:
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(path)], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT}s", time.perf_counter() - started
    elapsed = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or lines or ["(no output)"])[-1]
        return False, f"exit {proc.returncode}: {tail}", elapsed
    return True, (lines[-1] if lines else "(no result line)"), elapsed


def main(argv: list[str]) -> int:
    benches = discover(argv)
    if not benches:
        print("bench: no bench/bench_*.py matched", file=sys.stderr)
        return 1
    sqlite = database_is_sqlite()
    if sqlite:
        print(
            "bench: DATABASE_URL is not a PostgreSQL URL; the benchmarks measure PostgreSQL.\n"
            "       Run e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk make bench",
            file=sys.stderr,
            flush=True,
        )
    failed = skipped = 0
    for path in benches:
        name = path.stem.removeprefix("bench_")
        if sqlite and not supports_sqlite(path):
            print(f"{name:<24} NOT RUN (needs PostgreSQL)")
            skipped += 1
            continue
        ok, line, elapsed = run_one(path)
        print(f"{name:<24} {'ok  ' if ok else 'FAIL'} {line}  [{elapsed:.1f}s]", flush=True)
        failed += not ok
    if failed:
        return 1
    return 2 if skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
