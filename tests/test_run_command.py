"""`make run` on embedded defaults: everything comes up, and nothing is left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.sync.client import connect

from brigade.config import BASE_DIR
from tests.helpers import alive, clean_env, descendants, free_port, http_status, wait_for

pytestmark = pytest.mark.e2e

# What a staff member does in the admin's Periodic tasks: the price refresh every 2 s (hourly by default).
REFRESH_EVERY_2_SECONDS = (
    "from django_celery_beat.models import IntervalSchedule, PeriodicTask; "
    "task = PeriodicTask.objects.get(name='refresh-prices'); "
    "task.interval, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS); "
    "task.save()"
)


class RunCommand:
    """`make run` in its own session, as a terminal would start it; output goes to a file."""

    def __init__(self, var_dir: Path, **extra_env: str) -> None:
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir = var_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = var_dir / f"run-{self.port}.log"
        self.env = clean_env(BRIGADE_VAR_DIR=str(var_dir), PORT=str(self.port), **extra_env)
        self._log_handle = self.log.open("wb")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.seen_pids: set[int] = set()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self) -> bool:
        self.seen_pids |= descendants(self.process.pid)
        if self.process.poll() is not None:
            raise AssertionError(f"make run exited early:\n{self.output()[-3000:]}")
        return http_status(f"{self.base}/healthz") == 200

    def wait_healthy(self, timeout: float = 120) -> float:
        started = time.monotonic()
        try:
            wait_for(self.healthy, timeout=timeout, what="/healthz to answer 200")
        except AssertionError:
            raise AssertionError(f"{self.output()[-3000:]}") from None
        self.seen_pids |= descendants(self.process.pid)
        return time.monotonic() - started

    def manage(self, *args: str) -> str:
        """A management command on this run's database and Redis, as `make manage` runs it beside it."""
        done = subprocess.run(
            [sys.executable, "-m", "brigade.launcher", "manage", *args], cwd=BASE_DIR, env=self.env,
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        return self.process.wait(timeout=60)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in alive(self.seen_pids):
            os.kill(pid, signal.SIGKILL)
        self._log_handle.close()


def ws_ping(base: str) -> dict:
    url = base.replace("http://", "ws://") + "/ws/health/"
    with connect(url, origin=base, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "ping"}))
        return json.loads(socket.recv(timeout=10))


def demo_login(var_dir: Path) -> tuple[str, str]:
    text = (var_dir / "demo-logins.txt").read_text()
    match = re.search(r"^\s+head\s+(\S+)$", text, re.MULTILINE)
    assert match, text
    return "head", match.group(1)


def log_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert response.status_code == 302, response.text[:500]
    return client


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("brigade-var")


def test_first_run_serves_everything_and_ctrl_c_leaves_nothing(var_dir):
    run = RunCommand(var_dir)
    try:
        # Given a machine where Brigade has never run (no database, no Redis of its own)
        first_boot = run.wait_healthy()
        print(f"first boot to healthy: {first_boot:.1f}s")

        # Then every part reports up, the Celery worker and beat included
        health = httpx.get(f"{run.base}/healthz", timeout=10).json()
        assert health["status"] == "ok"
        assert health["parts"]["celery_workers"]["workers"]
        assert health["parts"]["database"]["detail"] == "sqlite"
        assert ws_ping(run.base) == {"type": "pong"}

        # And a demo chef can log in, see the seeded recipes and use the admin
        username, password = demo_login(var_dir)
        assert username in run.output()
        assert password in run.output()
        client = log_in(run.base, username, password)
        assert "Beurre blanc" in client.get("/recipes/").text
        admin = client.get("/admin/kitchen/recipe/")
        assert admin.status_code == 200
        assert "Crème anglaise" in admin.text

        # When a staff member makes the price refresh run every 2 s (the schedule lives in the database)
        assert "scheduled price refresh" not in run.output()
        run.manage("shell", "-v", "0", "-c", REFRESH_EVERY_2_SECONDS)

        # Then the running beat picks the change up and the worker refreshes (from the bundled price list)
        wait_for(lambda: "scheduled price refresh from offline" in run.output(), timeout=30, what="a price refresh")

        # When the user presses Ctrl-C
        code = run.ctrl_c()

        # Then it stops cleanly (make itself reports the interrupt as SIGINT) and no child survives
        assert code in (0, -signal.SIGINT), run.output()[-2000:]
        assert "brigade | stopped" in run.output()
        assert run.seen_pids, "the run command started no children"
        wait_for(lambda: not alive(run.seen_pids), timeout=10, what="children to exit")
        assert "received SIGINT" in run.output()
    finally:
        run.close()


def test_second_run_reuses_data_a_dead_worker_is_restarted_and_a_dead_web_server_stops_the_rest(var_dir):
    assert (var_dir / "brigade.sqlite3").exists(), "runs after the first test"
    run = RunCommand(var_dir)
    try:
        boot = run.wait_healthy()
        print(f"second boot to healthy: {boot:.1f}s")
        assert "Demo data is already loaded." in run.output()
        launcher = next(pid for pid in run.seen_pids if "brigade.launcher" in " ".join(_cmdline(pid)))

        # When the launcher's own worker child dies (not one of Celery's pool processes, which it respawns)
        os.kill(_child_of(launcher, {"celery", "worker"}), signal.SIGKILL)

        # Then it is started again and the whole stack is healthy again
        wait_for(lambda: "the worker process" in run.output() and "starting it again" in run.output(),
                 timeout=30, what="the worker to be restarted")  # fmt: skip
        run.wait_healthy()
        assert run.process.poll() is None

        # When the web server dies, the launcher stops the others and says which child died
        os.kill(_child_of(launcher, {"uvicorn"}), signal.SIGKILL)
        code = run.process.wait(timeout=60)
        assert code != 0
        assert "the web process" in run.output()
        assert "stopping the others" in run.output()
        wait_for(lambda: not alive(run.seen_pids), timeout=10, what="children to exit")
    finally:
        run.close()


def _child_of(parent: int, words: set[str]) -> int:
    return next(child.pid for child in psutil.Process(parent).children() if words <= set(child.cmdline()))


def _cmdline(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except psutil.NoSuchProcess:
        return []


def test_an_import_cut_off_by_killing_make_run_resumes_when_it_starts_again(var_dir):
    """The whole of `make run` killed mid-import (a power cut); started again, the import carries on
    from its cursor and ends with every record exactly once."""
    from imports.tests.conftest import csv_bytes, csv_rows

    recipes = 15_000  # big enough that a loaded machine still kills it mid-import
    settings = {"JOBS_HEARTBEAT_SECONDS": "1", "JOBS_STALE_SECONDS": "3", "IMPORT_BATCH_SIZE": "100"}
    run = RunCommand(var_dir, **settings)
    try:
        run.wait_healthy()
        client = log_in(run.base, *demo_login(var_dir))
        content = csv_bytes(csv_rows(recipes, lines=3, steps=2))
        response = client.post("/api/imports", files={"file": ("big.csv", content, "text/csv")},
                               headers={"X-CSRFToken": client.cookies["csrftoken"]})  # fmt: skip
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]

        def job() -> dict:
            return client.get(f"/api/jobs/{job_id}").json()

        wait_for(lambda: job()["done"] >= 500, timeout=120, interval=0.05, what="the import to be under way")
        run.healthy()  # note every child
        run.close()  # SIGKILL to everything at once: web, worker and its pool, beat, Redis
        wait_for(lambda: not alive(run.seen_pids), timeout=10, what="every process to be gone")
    finally:
        run.close()
    with sqlite3.connect(var_dir / "brigade.sqlite3") as database:  # what the power cut left
        state, done = database.execute("SELECT state, done FROM jobs_job WHERE id = ?", [job_id]).fetchone()
    assert state == "running"
    assert done < recipes, "the import finished before the kill: make it bigger"

    again = RunCommand(var_dir, **settings)
    try:
        again.wait_healthy()
        client = log_in(again.base, *demo_login(var_dir))

        wait_for(lambda: client.get(f"/api/jobs/{job_id}").json()["state"] == "done", timeout=180,
                 what="the import to resume and finish")  # fmt: skip
        done = client.get(f"/api/jobs/{job_id}").json()
        assert done["attempts"] >= 2
        assert done["result"] == {"records": recipes, "imported": recipes, "failed": 0}
        listed = client.get("/api/recipes", params={"q": "Dish 5999", "limit": 100}).json()
        assert [item["name"] for item in listed["items"]] == ["Dish 5999"]  # once, not twice
    finally:
        again.close()
