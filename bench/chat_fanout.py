#!/usr/bin/env python
"""Chat fan-out: N clients in one room, one sender; Brigade beside a bare `websockets` server.

For each N it measures, for Brigade (uvicorn + ChatConsumer + the core.realtime hub) and for
the ceiling (bench/ws_ceiling_server.py), in the same run:
  - latency at a fixed send rate: p50/p99 from send to delivery at every client;
  - deliveries/s at saturation: a burst sent faster than either server can fan out;
  - server memory per connection (RSS growth over N connections).
Servers are pinned to CPU 0, this load generator (uvloop, one process) to CPU 1.

Brigade's sender publishes the same event a stored message produces (core.realtime.hub.apublish,
what chat.services.message_post calls on commit), so this measures the fan-out path; the
one database insert per message is not multiplied by N and is not included.

    .venv/bin/python bench/chat_fanout.py            # N = 100, 500, 1000
    .venv/bin/python bench/chat_fanout.py --sizes 50 --seconds 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import uvloop
from websockets.asyncio.client import connect

from bench.common import ROOT, free_port, prepare_brigade, session_cookie, stop
from bench.rawws import open_raw

ROOM = "fanout"
SERVER_CPU = "0"
CLIENT_CPU = 1


@dataclass
class Measure:
    latencies: list[float] = field(default_factory=list)
    deliveries: int = 0
    first_send: float = 0.0
    last_delivery: float = 0.0


def prepare(var_dir: Path) -> tuple[dict[str, str], str, subprocess.Popen[bytes]]:
    """A private Brigade with one chef; returns server env, that chef's session cookie, Redis."""
    env, redis_process = prepare_brigade(var_dir)
    from accounts.services import user_sign_up

    user = user_sign_up(username="bench", password="bench-password-123")
    return env, session_cookie(user), redis_process


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import socket

            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server {args} did not start")


def tree_rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


def payload_handler(measure: Measure, unwrap):
    def on_payload(payload: bytes, now: float) -> None:
        stamp = unwrap(payload)
        if stamp is None:
            return
        measure.deliveries += 1
        measure.latencies.append(now - stamp)
        measure.last_delivery = now

    return on_payload


def brigade_unwrap(payload: bytes) -> float | None:
    if not payload.startswith(b'{"type":"message"'):
        return None
    start = payload.index(b'"body":"t=') + 10
    return float(payload[start : payload.index(b'"', start)])


def ceiling_unwrap(payload: bytes) -> float | None:
    return float(payload[2:]) if payload.startswith(b"t=") else None


def brigade_event(stamp: float, seq: int) -> dict:
    return {
        "type": "message",
        "message": {
            "id": seq,
            "author": {"id": 1, "name": "bench"},
            "body": f"t={stamp!r}",
            "created_at": "2026-11-25T00:00:00+00:00",
        },
    }


async def run_phase(send, measures: list[Measure], count: int, rate: float) -> tuple[float, list[float], float]:
    for m in measures:
        m.latencies.clear()
        m.deliveries = 0
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(count):
        target = start + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(time.perf_counter(), i)
    expected = count * len(measures)
    deadline = time.perf_counter() + 30
    while sum(m.deliveries for m in measures) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    delivered = sum(m.deliveries for m in measures)
    last = max((m.last_delivery for m in measures), default=start)
    latencies = sorted(lat for m in measures for lat in m.latencies)
    return delivered / max(last - start, 1e-9), latencies, delivered / expected


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def bench_one(kind: str, n: int, port: int, path: str, headers: dict, sender, unwrap, pid, args):
    rss_before = tree_rss(pid)
    measures = [Measure() for _ in range(n)]
    sockets = []
    for i, measure in enumerate(measures):
        sockets.append(await open_raw("127.0.0.1", port, path, headers, payload_handler(measure, unwrap)))
        if (i + 1) % 100 == 0:
            await asyncio.sleep(0.05)
    await asyncio.sleep(2.0)  # let join events (presence) settle
    rss_after = tree_rss(pid)
    send = await sender()

    latency_count = int(args.rate * args.seconds)
    _, latencies, ratio_l = await run_phase(send, measures, latency_count, args.rate)
    await asyncio.sleep(0.5)
    burst = max(50, int(args.burst_deliveries / n))
    throughput, _, ratio_t = await run_phase(send, measures, burst, args.burst_rate)

    for socket in sockets:
        socket.transport.close()
    return {
        "kind": kind,
        "n": n,
        "p50": pct(latencies, 0.50),
        "p99": pct(latencies, 0.99),
        "delivered_latency": ratio_l,
        "throughput": throughput,
        "delivered_burst": ratio_t,
        "kib_per_conn": (rss_after - rss_before) / n / 1024,
    }


async def run_all(args, env: dict[str, str], cookie: str) -> list[dict]:
    from core.realtime import hub as realtime

    results = []
    for n in args.sizes:
        # Brigade
        port = free_port()
        server = start_server(
            ["-m", "uvicorn", "brigade.asgi:application", "--port", str(port), "--loop", "uvloop",
             "--http", "httptools", "--no-access-log", "--log-level", "warning"],
            env, port,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"

            async def brigade_sender():
                async def send(stamp: float, seq: int) -> None:
                    await realtime.apublish(f"chat.{ROOM}", brigade_event(stamp, seq))

                return send

            results.append(
                await bench_one(
                    "brigade",
                    n,
                    port,
                    f"/ws/chat/{ROOM}/",
                    {"Cookie": f"sessionid={cookie}", "Origin": base},
                    brigade_sender,
                    brigade_unwrap,
                    server.pid,
                    args,
                )
            )
        finally:
            stop(server)

        # Ceiling
        port = free_port()
        server = start_server([str(ROOT / "bench" / "ws_ceiling_server.py"), "--port", str(port)], env, port)
        try:
            url = f"ws://127.0.0.1:{port}/"

            async def ceiling_sender(url=url):
                socket = await connect(url, max_queue=None, compression=None)

                async def send(stamp: float, seq: int) -> None:
                    await socket.send(f"t={stamp!r}")

                return send

            results.append(
                await bench_one("ceiling", n, port, "/", {}, ceiling_sender, ceiling_unwrap, server.pid, args)
            )
        finally:
            stop(server)
        print_row(results[-2])
        print_row(results[-1])
        print(f"   N={n}: Brigade/ceiling deliveries/s = {results[-2]['throughput'] / results[-1]['throughput']:.0%}")
    return results


def main(args) -> None:
    from brigade import embedded_redis

    os.sched_setaffinity(0, {CLIENT_CPU})
    var_dir = Path(tempfile.mkdtemp(prefix="brigade-bench-"))
    env, cookie, redis_process = prepare(var_dir)
    try:
        results = uvloop.run(run_all(args, env, cookie))
    finally:
        embedded_redis.stop(redis_process)
    print()
    print_table(results)


def print_row(r: dict) -> None:
    print(
        f"{r['kind']:>8} N={r['n']:>5}  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
        f"(delivered {r['delivered_latency']:.0%})  saturated {r['throughput']:9.0f} deliveries/s "
        f"(delivered {r['delivered_burst']:.0%})  {r['kib_per_conn']:6.1f} KiB/conn",
        flush=True,
    )


def print_table(results: list[dict]) -> None:
    print("| N | server | p50 ms | p99 ms | deliveries/s (saturated) | vs ceiling | KiB/connection |")
    print("|---|---|---|---|---|---|---|")
    by_n: dict[int, dict[str, dict]] = {}
    for r in results:
        by_n.setdefault(r["n"], {})[r["kind"]] = r
    for n, pair in by_n.items():
        for kind in ("brigade", "ceiling"):
            r = pair[kind]
            ratio = r["throughput"] / pair["ceiling"]["throughput"]
            print(
                f"| {n} | {kind} | {r['p50']:.1f} | {r['p99']:.1f} | {r['throughput']:.0f} | {ratio:.0%} | "
                f"{r['kib_per_conn']:.1f} |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the latency phase")
    parser.add_argument("--burst-rate", type=float, default=2000.0, help="messages/s offered at saturation")
    parser.add_argument("--burst-deliveries", type=int, default=300_000, help="deliveries in the saturation burst")
    main(parser.parse_args())
