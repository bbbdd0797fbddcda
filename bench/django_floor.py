#!/usr/bin/env python
"""What one request costs before any work: a bare ASGI app, Django's ASGI handler, Brigade's.

The same trivial async view (`{"ok": true}` as JSON, no middleware, no database) served by
uvicorn three ways, each pinned to CPU 0 with wrk on CPU 1:

  bare     — a plain ASGI callable (uvicorn's own floor)
  django   — django.core.handlers.asgi.ASGIHandler (what get_asgi_application() returns)
  brigade  — core.handlers.ASGIHandler (Django's handler without the per-request thread hops)

Run once with the view answering at once (CPU-bound, c = 50) and once with the view awaiting
200 ms (as the overview waits for the price feed, c = 200). Prints requests/s and server CPU
milliseconds per request. This is the floor under bench/async_views.py's figures.

Then the price check's HTTP client on its own: one process on CPU 0 sends GETs at c = 50 and
200 to the stub price feed (200 ms, on CPU 1) with httpx's default transport, httpx with the
aiohttp transport (what Brigade uses) and plain aiohttp; client CPU milliseconds per request.

    .venv/bin/python bench/django_floor.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.async_views import CLIENT_CPU, SERVER_CPU, cpu_seconds, free_port, run_wrk, start
from bench.common import ROOT, stop

APP = """
import asyncio, os, sys
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "floor_app"
SECRET_KEY = "bench-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "floor_app"
MIDDLEWARE = []
INSTALLED_APPS = []
DATABASES = {{}}
DELAY = float(os.environ["FLOOR_DELAY"])

import django
from django.http import JsonResponse
from django.urls import path


async def view(request):
    if DELAY:
        await asyncio.sleep(DELAY)
    return JsonResponse({{"ok": True}})


urlpatterns = [path("", view)]
django.setup(set_prefix=False)

from django.core.handlers.asgi import ASGIHandler as DjangoHandler
from core.fastpath.handlers import ASGIHandler as BrigadeHandler

django_app = DjangoHandler()
brigade_app = BrigadeHandler()


async def bare_app(scope, receive, send):
    if scope["type"] != "http":
        return
    if DELAY:
        await asyncio.sleep(DELAY)
    await send({{"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}})
    await send({{"type": "http.response.body", "body": b'{{"ok": true}}'}})
"""


def main(args) -> None:
    if args.clients_only:
        client_costs(args)
        return
    if not shutil.which("wrk"):
        raise SystemExit("bench/django_floor.py needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="brigade-bench-floor-"))
    (work / "floor_app.py").write_text(APP.format(root=str(ROOT)))
    rows = []
    for delay, concurrency in ((0.0, 50), (0.2, 200)):
        env = {**os.environ, "FLOOR_DELAY": str(delay), "PYTHONPATH": str(work)}
        for name in ("bare", "django", "brigade"):
            port = free_port()
            process = start(
                [sys.executable, "-m", "uvicorn", f"floor_app:{name}_app", "--app-dir", str(work), "--loop", "uvloop",
                 "--http", "httptools", "--no-access-log", "--log-level", "error", "--backlog", "4096",
                 "--port", str(port)],
                env, SERVER_CPU, port, work / f"{name}.log",
            )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{port}/"
                run_wrk(url, "", 10, 2)  # warm up
                before = cpu_seconds(process.pid)
                figures = run_wrk(url, "", concurrency, args.seconds)
                cpu_ms = (cpu_seconds(process.pid) - before) * 1000 / max(figures["requests"], 1)
            finally:
                stop(process)
            row = (name, delay, concurrency, figures["rps"], cpu_ms, figures["errors"])
            rows.append(row)
            print(f"{name:>8} view waits {delay * 1000:3.0f} ms  c={concurrency:<3}  {figures['rps']:8.1f} req/s  "
                  f"{cpu_ms:6.3f} CPU ms/req  errors {figures['errors']}", flush=True)  # fmt: skip
    print("\n| handler | view waits | c | req/s | CPU ms/req | errors |\n|---|---|---|---|---|---|")
    for name, delay, concurrency, rps, cpu_ms, errors in rows:
        print(f"| {name} | {delay * 1000:.0f} ms | {concurrency} | {rps:.1f} | {cpu_ms:.3f} | {errors} |")
    shutil.rmtree(work, ignore_errors=True)
    client_costs(args)


CLIENT = """
import asyncio, resource, sys, time
import aiohttp, httpx, uvloop
from httpx_aiohttp import AiohttpTransport

URL, KIND, C, N = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main():
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    if KIND == "aiohttp":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))

        async def get():
            async with session.get(URL) as response:
                await response.read()
    else:
        transport = AiohttpTransport(limits=limits) if KIND == "httpx+aiohttp" else None
        session = httpx.AsyncClient(limits=limits, transport=transport, timeout=60)

        async def get():
            (await session.get(URL)).raise_for_status()

    async def run(n):
        left = n

        async def worker():
            nonlocal left
            while left > 0:
                left -= 1
                await get()

        await asyncio.gather(*(worker() for _ in range(C)))

    await run(C * 2)
    before, start = cpu(), time.monotonic()
    await run(N)
    print(f"{(cpu() - before) * 1000 / N:.3f} {N / (time.monotonic() - start):.1f}")
    await (session.close() if KIND == "aiohttp" else session.aclose())


uvloop.run(main())
"""


def client_costs(args) -> None:
    port = free_port()
    stub_env = {**os.environ, "STUB_DELAY": "0.2"}
    work = Path(tempfile.mkdtemp(prefix="brigade-bench-client-"))
    stub = start([sys.executable, "-m", "uvicorn", "bench.price_stub:app", "--port", str(port), "--loop", "uvloop",
                  "--http", "httptools", "--no-access-log", "--log-level", "error", "--backlog", "4096"],
                 stub_env, CLIENT_CPU, port, work / "stub.log")  # fmt: skip
    rows = []
    try:
        for concurrency in (50, 200):
            for kind in ("httpx", "httpx+aiohttp", "aiohttp"):
                done = subprocess.run(
                    ["taskset", "-c", SERVER_CPU, sys.executable, "-c", CLIENT, f"http://127.0.0.1:{port}/prices.json",
                     kind, str(concurrency), str(concurrency * 10)],
                    capture_output=True, text=True, cwd=ROOT,
                )  # fmt: skip
                if done.returncode:
                    print(f"{kind:>14} c={concurrency:<3}  failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
                    continue
                cpu_ms, rps = (float(x) for x in done.stdout.split())
                rows.append((kind, concurrency, cpu_ms, rps))
                print(f"{kind:>14} c={concurrency:<3}  {cpu_ms:.3f} client CPU ms/req  {rps:.1f} req/s", flush=True)
    finally:
        stop(stub)
        shutil.rmtree(work, ignore_errors=True)
    print("\n| client | c | client CPU ms/req | req/s |\n|---|---|---|---|")
    for kind, concurrency, cpu_ms, rps in rows:
        print(f"| {kind} | {concurrency} | {cpu_ms:.3f} | {rps:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients-only", action="store_true", help="only the HTTP client comparison")
    main(parser.parse_args())
