#!/usr/bin/env python
"""Chat writers: N chefs writing into one room through real sockets, on SQLite and PostgreSQL.

Every chef sends R messages/s (each one stored, acknowledged and fanned out to all N) for D
seconds, against a real uvicorn process started for each database in the same run:
  - stored messages/s (acknowledgements over the time from the first send to the last ack);
  - acknowledgement latency p50/p99 (send to ack, per message);
  - the lag of the last ack after the last send (a backlog that grows shows here);
  - frames refused with `slow_down` (the socket's inbox was full) or `rate_limited`, and
    messages never answered within the drain time.
Rows: SQLite; PostgreSQL with the connection pool (the default); PostgreSQL without it
(DB_POOL_MAX=0: a connection opened and closed per database call, the old default).
uvicorn is pinned to CPU 0 and this load generator to CPU 1; PostgreSQL and Redis run where the
scheduler puts them. Refused messages are counted, not resent.

    .venv/bin/python bench/chat_writers.py                 # 60 chefs x 4/s for 20 s, three rows
    .venv/bin/python bench/chat_writers.py --backends sqlite postgres --seconds 10
    BENCH_POSTGRES_URL=postgres://user@host/brg_bench .venv/bin/python bench/chat_writers.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import uvloop

from bench.common import ROOT, free_port, stop
from bench.rawws import RawWebSocket, open_raw

ROOM = "writers"
SERVER_CPU = "0"
CLIENT_CPU = 1
BACKENDS = {
    "sqlite": ("SQLite", {}),
    "postgres": ("PostgreSQL, pool", {}),
    "postgres-no-pool": ("PostgreSQL, no pool", {"DB_POOL_MAX": "0"}),
}


@dataclass
class Chef:
    index: int
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    rate_limited: int = 0
    other_errors: int = 0
    deliveries: int = 0
    last_ack: float = 0.0
    socket: RawWebSocket | None = None

    def on_payload(self, payload: bytes, now: float) -> None:
        if payload.startswith(b'{"type":"message"'):
            self.deliveries += 1
            return
        if not payload.startswith((b'{"type":"ack"', b'{"type":"error"')):
            return
        event = json.loads(payload)
        sent = self.sent_at.pop(event.get("client_id"), None)
        if sent is None:
            return
        if event["type"] == "ack":
            self.latencies.append(now - sent)
            self.last_ack = now
        elif event["code"] == "slow_down":
            self.refused += 1
        elif event["code"] == "rate_limited":
            self.rate_limited += 1
        else:
            self.other_errors += 1


# -- set-up: a fresh database and Redis per row ----------------------------------------------------


def prepare_in_subprocess(count: int) -> None:
    """Child mode: migrate, create the chefs, print their session cookies as JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.services import user_sign_up
    from bench.common import session_cookie

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
    call_command("migrate", verbosity=0)
    users = [user_sign_up(username=f"writer{i}", password="bench-password-123") for i in range(count)]
    print(json.dumps([session_cookie(user) for user in users]))


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("brg_", "bench")):
        raise SystemExit(f"refusing to drop {name!r}: name the bench database brg_... or bench...")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def server_env(backend: str, var_dir: Path, redis_url: str, postgres_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        BRIGADE_VAR_DIR=str(var_dir),
        REDIS_URL=redis_url,
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_COLLECTED="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="brigade.settings",
        **BACKENDS[backend][1],
    )
    if backend.startswith("postgres"):
        env["DATABASE_URL"] = postgres_url
    return env


def start_uvicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, sys.executable, "-m", "uvicorn", "brigade.asgi:application",
             "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit(f"uvicorn did not start; see {log}")


# -- the run -------------------------------------------------------------------------------------


async def write(chef: Chef, *, start: float, rate: float, count: int, sends: list[float]) -> None:
    offset = random.random() / rate  # chefs do not all send at the same instant
    for i in range(count):
        delay = start + offset + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client_id = f"{chef.index}-{i}"
        chef.sent_at[client_id] = now = time.perf_counter()
        assert chef.socket is not None
        chef.socket.send_text(
            json.dumps({"type": "message", "body": f"m{i} from {chef.index}", "client_id": client_id})
        )
        sends.append(now)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def run_one(port: int, pid: int, cookies: list[str], args) -> dict:
    base = f"http://127.0.0.1:{port}"
    headers = {"Cookie": "", "Origin": base}
    chefs = [Chef(i) for i in range(len(cookies))]
    for chef, cookie in zip(chefs, cookies, strict=True):
        chef.socket = await open_raw(
            "127.0.0.1", port, f"/ws/chat/{ROOM}/", {**headers, "Cookie": f"sessionid={cookie}"}, chef.on_payload
        )
    await asyncio.sleep(2.0)  # let the joins' presence events settle

    count = int(args.rate * args.seconds)
    cpu_before = cpu_seconds(pid)
    sends: list[float] = []
    start = time.perf_counter() + 0.1
    await asyncio.gather(*(write(c, start=start, rate=args.rate, count=count, sends=sends) for c in chefs))
    last_send = max(sends)
    deadline = time.perf_counter() + args.drain
    while any(c.sent_at for c in chefs) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    cpu = cpu_seconds(pid) - cpu_before
    for chef in chefs:
        if chef.socket is not None:
            chef.socket.transport.close()

    latencies = sorted(lat for c in chefs for lat in c.latencies)
    last_ack = max((c.last_ack for c in chefs), default=0.0)
    acked = len(latencies)
    return {
        "sent": len(sends),
        "offered": len(sends) / max(last_send - min(sends), 1e-9),
        "acked": acked,
        "stored_per_s": acked / max(last_ack - min(sends), 1e-9) if acked else 0.0,
        "p50": pct(latencies, 0.50),
        "p99": pct(latencies, 0.99),
        "lag": last_ack - last_send if acked else float("nan"),
        "slow_down": sum(c.refused for c in chefs),
        "rate_limited": sum(c.rate_limited for c in chefs),
        "other_errors": sum(c.other_errors for c in chefs),
        "unanswered": sum(len(c.sent_at) for c in chefs),
        "deliveries": sum(c.deliveries for c in chefs),
        "cpu_ms_per_message": cpu * 1000 / max(acked, 1),
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def bench_backend(backend: str, args) -> dict:
    from brigade import embedded_redis

    var_dir = Path(tempfile.mkdtemp(prefix=f"brigade-writers-{backend}-"))
    redis_process, redis_url = embedded_redis.start(var_dir / "redis", persist=False)
    try:
        env = server_env(backend, var_dir, redis_url, args.postgres_url)
        if backend.startswith("postgres"):
            recreate_postgres_database(args.postgres_url)
        prepared = subprocess.run(
            [sys.executable, __file__, "--prepare", str(args.chefs)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if prepared.returncode != 0:
            raise SystemExit(f"preparing {backend} failed:\n{prepared.stderr[-3000:]}")
        cookies = json.loads(prepared.stdout.strip().splitlines()[-1])
        port = free_port()
        server = start_uvicorn(env, port, var_dir / "uvicorn.log")
        try:
            result = uvloop.run(run_one(port, server.pid, cookies, args))
        finally:
            stop(server)
        result["backend"] = backend
        result["log"] = str(var_dir / "uvicorn.log")
        return result
    finally:
        embedded_redis.stop(redis_process)


def print_row(r: dict) -> None:
    print(
        f"{BACKENDS[r['backend']][0]:>20}: offered {r['offered']:6.1f}/s  stored {r['stored_per_s']:6.1f}/s  "
        f"ack p50 {r['p50']:8.1f} ms  p99 {r['p99']:8.1f} ms  last ack {r['lag']:6.2f} s after the last send  "
        f"server CPU {r['cpu_ms_per_message']:.2f} ms/message  slow_down {r['slow_down']}  "
        f"rate_limited {r['rate_limited']}  unanswered {r['unanswered']}  "
        f"(acked {r['acked']}/{r['sent']}; uvicorn log {r['log']})",
        flush=True,
    )


COLUMNS = [
    ("database", lambda r: BACKENDS[r["backend"]][0]),
    ("offered msg/s", lambda r: f"{r['offered']:.0f}"),
    ("stored msg/s", lambda r: f"{r['stored_per_s']:.0f}"),
    ("ack p50 ms", lambda r: f"{r['p50']:.0f}"),
    ("ack p99 ms", lambda r: f"{r['p99']:.0f}"),
    ("last ack after last send", lambda r: f"{r['lag']:.2f} s"),
    ("server CPU ms/message", lambda r: f"{r['cpu_ms_per_message']:.2f}"),
    ("slow_down", lambda r: str(r["slow_down"])),
    ("rate_limited", lambda r: str(r["rate_limited"])),
    ("unanswered", lambda r: str(r["unanswered"])),
]


def print_table(results: list[dict]) -> None:
    print("| " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for r in results:
        print("| " + " | ".join(cell(r) for _, cell in COLUMNS) + " |")


def main(args) -> None:
    os.sched_setaffinity(0, {CLIENT_CPU})
    print(f"{args.chefs} chefs x {args.rate}/s for {args.seconds} s; load average {os.getloadavg()}", flush=True)
    results = []
    for backend in args.backends:
        results.append(bench_backend(backend, args))
        print_row(results[-1])
    print(f"load average at the end {os.getloadavg()}")
    print()
    print_table(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chefs", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0, help="messages/s each chef sends")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--drain", type=float, default=60.0, help="how long to wait for the last acks")
    parser.add_argument("--backends", nargs="+", choices=list(BACKENDS), default=list(BACKENDS))
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/brg_bench_writers"),
        help="a database the bench may drop and create",
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.prepare is not None:
        prepare_in_subprocess(parsed.prepare)
    else:
        main(parsed)
