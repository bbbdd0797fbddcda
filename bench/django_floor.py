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

    .venv/bin/python bench/django_floor.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.async_views import SERVER_CPU, cpu_seconds, free_port, run_wrk, start
from bench.common import ROOT, stop

APP = '''
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
from core.handlers import ASGIHandler as BrigadeHandler

django_app = DjangoHandler()
brigade_app = BrigadeHandler()


async def bare_app(scope, receive, send):
    if scope["type"] != "http":
        return
    if DELAY:
        await asyncio.sleep(DELAY)
    await send({{"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}})
    await send({{"type": "http.response.body", "body": b'{{"ok": true}}'}})
'''


def main(args) -> None:
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    main(parser.parse_args())
