#!/usr/bin/env python
"""Async views against their sync twins, side by side, with a price service that answers in 200 ms.

Servers (each pinned to CPU 0 with taskset; wrk and the stub price service on CPU 1):
  async  — uvicorn, the async overview JSON (/recipes/overview/) and dashboard (/recipes/dashboard/)
  sync   — the same uvicorn, the sync twins (/recipes/overview/sync/, /recipes/dashboard/sync/)
  gunicorn — the sync twins under gunicorn, 2 workers x 8 threads (a typical sync deployment)
  course — the course's own Lesson 3 async view on Django's stock handler and middleware
           (bench/course_lesson3), the overview's reference: the issue measured it at ~3.7 ms of
           CPU per request, and running it here shows how fast the machine of the day is

For each, at concurrency 1, 10, 50 and 200: wrk (one thread, closed loop) for --seconds,
printing p50/p99 latency, requests/s, errors, and server CPU ms per response (growth of the
server processes' utime+stime divided by responses). Needs Debian's wrk (apt-get install wrk).

    .venv/bin/python bench/async_views.py
    .venv/bin/python bench/async_views.py --concurrency 10 50 --seconds 3
    .venv/bin/python bench/async_views.py --profile docs/profiles/overview-c50.svg
    .venv/bin/python bench/async_views.py --endpoints overview --repeat 3   # median of 3 runs per row
    .venv/bin/python bench/async_views.py --servers async course --endpoints overview
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, prepare_brigade, session_cookie, stop

SERVER_CPU = "0"
CLIENT_CPU = "1"
DELAY = 0.2


def wait_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listened on {port}")


def start(args: list[str], env: dict, cpu: str, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["taskset", "-c", cpu, *args], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    wait_port(port, process)
    return process


def cpu_seconds(pid: int) -> float:
    total = 0.0
    proc = psutil.Process(pid)
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def prepare(var_dir: Path, stub_url: str) -> tuple[dict, str, subprocess.Popen]:
    """A private Brigade with the demo data, prices from the stub; returns env, a chef's cookie, Redis."""
    env, redis_process = prepare_brigade(
        var_dir, extra_env={"PRICE_PROVIDER": "feed", "PRICE_FEED_URL": stub_url, "PRICE_LIVE_BUDGET_MS": "300"}
    )
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    return env, session_cookie(get_user_model().objects.get(username="sauce")), redis_process


def start_profile(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """py-spy (a sampling profiler, from requirements-dev) on the server while wrk runs: an SVG flame graph."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
         "--duration", str(max(1, round(seconds) - 1)), "--rate", "200", "--nonblocking", "--format", "flamegraph",
         "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def parse_wrk(output: str) -> dict:
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {q: float(v) * scale[u] for q, v, u in WRK_LATENCY.findall(output)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "p50": latency.get("50", float("nan")),
        "p99": latency.get("99", float("nan")),
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


SYNC_TWINS = {"DJANGO_SETTINGS_MODULE": "bench.sync_twins.settings"}


def wrk_command(url: str, cookie: str, concurrency: int, seconds: float) -> list[str]:
    """wrk on the client's CPU: one thread, a closed loop of `concurrency` connections, latency percentiles."""
    return ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
            "--latency", "--timeout", "10s", "-H", f"Cookie: sessionid={cookie}", url]  # fmt: skip


def run_wrk(url: str, cookie: str, concurrency: int, seconds: float) -> dict:
    out = subprocess.run(
        wrk_command(url, cookie, concurrency, seconds), capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(out)


UVICORN = [sys.executable, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools", "--no-access-log",
           "--log-level", "error", "--backlog", "4096"]  # fmt: skip


def uvicorn_command(app: str, port: int) -> list[str]:
    """One uvicorn process (uvloop, httptools) serving `app` on `port`, as the benchmarks run it."""
    return [*UVICORN, app, "--port", str(port)]


def stub_start(var_dir: Path) -> tuple[subprocess.Popen, str]:
    """The stub price service (DELAY per answer) on the client's CPU; returns it and its feed URL."""
    port = free_port()
    stub = start(uvicorn_command("bench.price_stub:app", port), {**os.environ, "STUB_DELAY": str(DELAY)},
                 CLIENT_CPU, port, var_dir / "stub.log")  # fmt: skip
    return stub, f"http://127.0.0.1:{port}/prices.json"


def main(args) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench/async_views.py needs wrk: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="brigade-bench-views-"))
    stub, stub_url = stub_start(var_dir)
    env, cookie, redis_process = prepare(var_dir, stub_url)
    results = []
    uvicorn_args = [*UVICORN, "--port"]
    configs = {
        "async": ("uvicorn", "async", [*uvicorn_args[:3], "brigade.asgi:application", *uvicorn_args[3:]], {}),
        # The sync twins are routed only by bench/sync_twins' settings, never in production.
        "sync": ("uvicorn", "sync", [*uvicorn_args[:3], "brigade.asgi:application", *uvicorn_args[3:]], SYNC_TWINS),
        "gunicorn": ("gunicorn", "sync", [sys.executable, "-m", "gunicorn", "brigade.wsgi:application", "--workers",
                                          "2", "--threads", "8", "--backlog", "4096", "--log-level", "error",
                                          "--bind"], SYNC_TWINS),
        # The course's own Lesson 3 view on Django's stock handler and middleware (bench/course_lesson3):
        # the 3.7 ms reference, measured again on the machine of the day.
        "course": ("uvicorn", "course", [*uvicorn_args[:3], "bench.course_lesson3.asgi:application",
                                          *uvicorn_args[3:]],
                   {"DJANGO_SETTINGS_MODULE": "bench.course_lesson3.settings"}),
    }  # fmt: skip
    try:
        for name in args.servers:
            server, flavour, cmd, extra_env = configs[name]
            port = free_port()
            arg = str(port) if server == "uvicorn" else f"127.0.0.1:{port}"
            process = start([*cmd, arg], {**env, **extra_env}, SERVER_CPU, port, var_dir / f"{name}.log")
            try:
                for endpoint in args.endpoints:
                    path = endpoint_path(endpoint, flavour)
                    if path is None:
                        continue
                    url = f"http://127.0.0.1:{port}{path}"
                    run_wrk(url, cookie, 5, 3)  # warm up: imports, connections, caches, every worker
                    for c in args.concurrency:
                        runs = []
                        for attempt in range(args.repeat):
                            before = cpu_seconds(process.pid)
                            profiler = None
                            wanted = ("async", "overview", 50, 0)
                            if args.profile and (name, endpoint, c, attempt) == wanted:
                                profiler = start_profile(process.pid, args.seconds, Path(args.profile))
                            figures = run_wrk(url, cookie, c, args.seconds)
                            if profiler is not None:
                                profiler.wait()
                            used = cpu_seconds(process.pid) - before
                            figures.update(server=server, flavour=flavour, endpoint=endpoint, c=c,
                                           cpu_ms=used * 1000 / max(figures["requests"], 1))  # fmt: skip
                            runs.append(figures)
                        figures = median_run(runs)
                        results.append(figures)
                        print_row(figures)
            finally:
                stop(process)
    finally:
        stop(stub)
        from brigade import embedded_redis

        embedded_redis.stop(redis_process)
    print()
    print_table(results, args)


def endpoint_path(endpoint: str, flavour: str) -> str | None:
    if flavour == "course":  # the course has one view, the overview's counterpart
        return "/recipes/async/" if endpoint == "overview" else None
    return f"/recipes/{endpoint}/" + ("sync/" if flavour == "sync" else "")


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s, noting the spread of all runs (the machine is noisy)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["spread"] = f"{ordered[0]['rps']:.0f}-{ordered[-1]['rps']:.0f}" if len(runs) > 1 else ""
    chosen["errors"] = sum(r["errors"] for r in runs)
    return chosen


def label(r: dict) -> str:
    return f"{r['flavour']} @ {r['server']}"


def print_row(r: dict) -> None:
    print(
        f"{r['endpoint']:>9} {label(r):>17} c={r['c']:>3}  p50 {r['p50']:8.1f} ms  p99 {r['p99']:8.1f} ms  "
        f"{r['rps']:7.1f} req/s{' (' + r['spread'] + ')' if r['spread'] else ''}  {r['cpu_ms']:5.2f} CPU ms/req  "
        f"errors {r['errors']}",
        flush=True,
    )


def print_table(results: list[dict], args) -> None:
    spread = args.repeat > 1
    print(
        "| endpoint | server | c | p50 ms | p99 ms | req/s |"
        + (" req/s, all runs |" if spread else "")
        + " CPU ms/req | errors | vs sync@uvicorn | vs gunicorn | vs course |"
    )
    print("|---|---|---|---|---|---|" + ("---|" if spread else "") + "---|---|---|---|---|")
    index = {(r["endpoint"], r["flavour"], r["server"], r["c"]): r for r in results}
    for r in results:
        base = {
            name: index.get((r["endpoint"], flavour, server, r["c"]))
            for name, flavour, server in (("sync", "sync", "uvicorn"), ("gunicorn", "sync", "gunicorn"),
                                          ("course", "course", "uvicorn"))
        }  # fmt: skip
        ratios = [f"{r['rps'] / b['rps']:.1f}x" if b and b["rps"] else "-" for b in base.values()]
        print(
            f"| {r['endpoint']} | {label(r)} | {r['c']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['rps']:.1f} | "
            + (f"{r['spread']} | " if spread else "")
            + f"{r['cpu_ms']:.2f} | {r['errors']} | {' | '.join(ratios)} |"
        )
    print(f"\nDependency limit at concurrency c: c / {DELAY} s requests/s.")
    for r in results:
        course = index.get(("overview", "course", "uvicorn", r["c"]))
        if (r["endpoint"], r["flavour"]) == ("overview", "async") and course and r["cpu_ms"]:
            print(
                f"c={r['c']:>3}: the course's Lesson 3 view costs {course['cpu_ms']:.2f} CPU ms/request here, "
                f"Brigade's overview {r['cpu_ms']:.2f} ({course['cpu_ms'] / r['cpu_ms']:.1f}x less)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--endpoints", nargs="+", default=["overview", "dashboard"])
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the median (by req/s) is shown")
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["async", "sync", "gunicorn", "course"],
        choices=["async", "sync", "gunicorn", "course"],
    )
    parser.add_argument("--profile", metavar="SVG", help="record a py-spy flame graph of the async overview at c = 50")
    main(parser.parse_args())
