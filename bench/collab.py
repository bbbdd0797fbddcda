#!/usr/bin/env python
"""Recipe co-editing: N editors typing into one document, Brigade beside the reference Yjs server.

For each N, in the same run, against Brigade (two uvicorn processes on PostgreSQL and Redis, the
editors split between them, `/ws/recipes/<id>`) and against the reference server of
y-websocket@1.5.4 (`bin/server.js`, installed from bench/package-lock.json):
  - every editor inserts a unique marker `~c<editor>n<seq>~` into the `name` Y.Text, R times/s
    on a fixed schedule with jitter, for D seconds;
  - propagation latency p50/p99: from the send to the arrival at each other editor, found in the
    raw update frames (Yjs v1 keeps an ASCII string verbatim, so no decoding is needed per frame);
  - updates/s delivered to each editor against the offered rate, and the lag of the last delivery;
  - a late joiner: once at least 2,000 updates are in the document (unmeasured updates fill up
    a short run), a new client syncs; the bytes of the sync frames it receives until synced
    (awareness excluded) over the size of the document's encoded state (`len(get_update())`);
  - at the end every client (late joiner included) syncs once more: all documents must encode
    to the same bytes (each re-encoded from a fresh document: replicas of one document may split
    a client's adjacent items differently) and hold every marker exactly once. A lost or
    divergent update, an undelivered one, a refused edit or a closed socket fails the run.
Servers are pinned to CPU 0, this load generator (uvloop, one process: one clock) to CPU 1;
PostgreSQL and Redis run where the scheduler puts them. Clients do not negotiate
permessage-deflate (the reference server does not offer it) and apply received updates in
batches every 50 ms, so that the load generator keeps up at N = 50.

    .venv/bin/python bench/collab.py                                  # N = 5, 20, 50; 20 s each; both servers
    .venv/bin/python bench/collab.py --editors 5,20 --seconds 10 --target node
    BENCH_POSTGRES_URL=postgres://user@host/brg_bench_collab .venv/bin/python bench/collab.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import uvloop
from pycrdt import (
    Array,
    Awareness,
    Decoder,
    Doc,
    Map,
    Text,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench.async_views import wait_port
from bench.chat_writers import cpu_seconds, pct, recreate_postgres_database, server_env
from bench.common import ROOT, free_port, stop
from brigade.testrun import ensure_node_packages

SERVER_CPU = "0"
CLIENT_CPU = 1
REFERENCE_SERVER = ROOT / "bench" / "node_modules" / "y-websocket" / "bin" / "server.js"
MARKER = re.compile(rb"~c(\d+)n(\d+)~")
SYNC, AUTH = YMessageType.SYNC, 2  # y-protocols auth: a refusal (pycrdt does not name it)
STEP2, UPDATE = YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE
APPLY_EVERY = 0.05  # s between batches of received updates applied to the documents
FILL_RATE = 200.0  # updates/s while filling the document up for the late joiner (not measured)
ROOTS = {"meta": Map, "name": Text, "description": Text, "lines": Array, "steps": Array}  # a recipe's document
TARGETS = {"node": "y-websocket 1.5.4", "brigade": "Brigade"}


class RunFailed(Exception):
    """The run cannot be trusted: a lost or divergent update, a refused or closed socket."""


@dataclass(frozen=True)
class Room:
    """Where the editors of one run connect: one URL per server process, and who they are."""

    urls: list[str]
    cookies: list[str] | None = None  # session cookies by editor index (the late joiner's last); sent with an Origin
    logs: list[str] = field(default_factory=list)


@dataclass
class Phase:
    """What the editors measure while one batch of updates goes out."""

    sent_at: dict[bytes, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first_send: float = float("inf")
    last_send: float = 0.0
    last_delivery: float = 0.0


class Editor:
    """One simulated editor: a pycrdt document kept in sync over one socket, as y-websocket does."""

    def __init__(self, index: int, url: str, room: Room) -> None:
        self.index = index
        self.url = url
        self.room = room
        self.doc: Doc[Any] = Doc()
        for root, kind in ROOTS.items():
            self.doc[root] = kind()
        self.name = self.doc.get("name", type=Text)
        self.seq = 0
        self.ws: ClientConnection | None = None
        self.phase = Phase()
        self.seen: set[bytes] = set()  # markers of other editors received in update frames
        self.pending: list[bytes] = []  # update frames not applied yet
        self.synced = asyncio.Event()  # a step2 arrived since the last `sync()`
        self.sync_bytes = 0  # bytes of the sync frames received up to the first step2
        self.first_step2 = False
        self.denied: list[bytes] = []  # y-protocols auth messages (permission denied)
        self.reader: asyncio.Task[None] | None = None
        self.closing = False
        self.closed_early: str | None = None

    def content(self) -> dict[str, Any]:
        return {root: self.doc.get(root, type=kind).to_py() for root, kind in ROOTS.items()}

    async def connect(self) -> None:
        headers, origin = None, None
        if self.room.cookies:  # as a browser on the page of the server it connects to
            headers = {"Cookie": f"sessionid={self.room.cookies[self.index]}"}
            origin = Origin(f"http://{urlsplit(self.url).netloc}")
        self.ws = await connect(
            self.url,
            origin=origin,
            additional_headers=headers,
            compression=None,
            max_size=2**22,
            ping_interval=None,  # servers ping; a busy load generator must not time itself out
            open_timeout=10,
        )
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(create_sync_message(self.doc))
        awareness = Awareness(self.doc)
        awareness.set_local_state({"user": {"name": f"editor {self.index}"}, "cursor": None})
        await self.ws.send(create_awareness_message(awareness.encode_awareness_update([self.doc.client_id])))

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                now = time.perf_counter()
                if isinstance(frame, str) or not frame:
                    raise RunFailed(f"editor {self.index} received a text or empty frame: {frame[:80]!r}")
                if frame[0] == SYNC:
                    self._on_sync(frame, now)
                elif frame[0] == AUTH:
                    self.denied.append(frame)
        if not self.closing:
            self.closed_early = f"code {self.ws.close_code}, reason {self.ws.close_reason!r}"

    def _on_sync(self, frame: bytes, now: float) -> None:
        kind = frame[1]
        if not self.first_step2:
            self.sync_bytes += len(frame)
            self.first_step2 = kind == STEP2
        if kind == UPDATE:
            self._find_markers(frame, now)
            self.pending.append(frame)
            return
        reply = handle_sync_message(frame[1:], self.doc)
        if reply is not None and self.ws is not None:
            # Answer a server's step1 with what it misses (nothing, normally), as y-websocket does.
            task = asyncio.create_task(self.ws.send(reply))  # a whole frame, type byte included
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        if kind == STEP2:
            self.synced.set()

    def _find_markers(self, frame: bytes, now: float) -> None:
        phase = self.phase
        own = b"~c%dn" % self.index
        for found in MARKER.finditer(frame):
            marker = found.group(0)
            if marker.startswith(own) or marker in self.seen:
                continue
            self.seen.add(marker)
            sent = phase.sent_at.get(marker)
            if sent is not None:
                phase.latencies.append(now - sent)
                phase.last_delivery = now

    def apply_pending(self) -> None:
        frames, self.pending = self.pending, []
        for frame in frames:
            handle_sync_message(frame[1:], self.doc)

    async def insert_marker(self) -> None:
        marker = b"~c%dn%d~" % (self.index, self.seq)
        self.seq += 1
        before = self.doc.get_state()
        self.name += marker.decode()
        update = self.doc.get_update(before)
        assert self.ws is not None
        now = time.perf_counter()
        self.phase.sent_at[marker] = now
        self.phase.first_send = min(self.phase.first_send, now)
        self.phase.last_send = now
        await self.ws.send(create_update_message(update))

    async def until_synced(self, timeout: float) -> None:
        """Wait for a step2; a RunFailed if none comes, or the socket closes first."""
        assert self.reader is not None
        synced = asyncio.create_task(self.synced.wait())
        await asyncio.wait([synced, self.reader], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        synced.cancel()
        self.check_alive()
        if not self.synced.is_set():
            raise RunFailed(f"editor {self.index} received no sync step 2 within {timeout:.0f} s from {self.url}")

    async def sync(self, timeout: float) -> None:
        """Ask the server for anything this document misses (step1) and wait for the answer."""
        assert self.ws is not None
        self.synced.clear()
        await self.ws.send(create_sync_message(self.doc))
        await self.until_synced(timeout)

    def check_alive(self) -> None:
        if self.denied:
            raise RunFailed(f"editor {self.index}: the server denied the edit ({self.denied[0]!r})")
        if self.closed_early is not None:
            raise RunFailed(f"editor {self.index}: the server closed the socket ({self.closed_early})")
        if self.reader is not None and self.reader.done() and self.reader.exception() is not None:
            raise RunFailed(f"editor {self.index}: {self.reader.exception()}")

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await self.reader


# -- the run -------------------------------------------------------------------------------------


async def apply_in_batches(editors: list[Editor], stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        for editor in editors:
            editor.apply_pending()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), APPLY_EVERY)


async def join(editor: Editor) -> None:
    try:
        await editor.connect()
    except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
        raise RunFailed(
            f"editor {editor.index} could not connect to {editor.url} ({type(error).__name__}: {error})"
        ) from None
    await editor.until_synced(15)


async def type_markers(editor: Editor, *, start: float, rate: float, count: int) -> None:
    interval = 1.0 / rate
    offset = random.random() * interval  # editors do not all send at the same instant
    for i in range(count):
        jitter = random.uniform(-0.25, 0.25) * interval
        delay = start + offset + i * interval + jitter - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await editor.insert_marker()


async def wait_delivered(editors: list[Editor], phase: Phase, timeout: float) -> int:
    """Wait until every editor has every other editor's markers of the phase; the number missing."""
    deadline = time.perf_counter() + timeout
    expected = {marker: int(marker[2 : marker.index(b"n")]) for marker in phase.sent_at}
    while True:
        missing = sum(
            1
            for editor in editors
            for marker, author in expected.items()
            if author != editor.index and marker not in editor.seen
        )
        if missing == 0 or time.perf_counter() > deadline:
            return missing
        for editor in editors:
            editor.check_alive()
        await asyncio.sleep(0.1)


async def fill_up(editors: list[Editor], total: int, phase: Phase) -> None:
    """Unmeasured updates, round robin, until the editors have sent `total` in all."""
    sent = sum(e.seq for e in editors)
    for editor in editors:
        editor.phase = phase
    i = 0
    while sent < total:
        await editors[i % len(editors)].insert_marker()
        sent += 1
        i += 1
        await asyncio.sleep(1.0 / FILL_RATE)


def state_vector(doc: Doc[Any]) -> dict[int, int]:
    decoder = Decoder(doc.get_state())
    return {decoder.read_var_uint(): decoder.read_var_uint() for _ in range(decoder.read_var_uint())}


def canonical_update(doc: Doc[Any]) -> bytes:
    """The document's state as a fresh document encodes it: two replicas of one document may
    encode differently (one squashed two adjacent items of a client, the other did not)."""
    fresh: Doc[Any] = Doc()
    fresh.apply_update(doc.get_update())
    return fresh.get_update()


def compare_documents(editors: list[Editor], dump_dir: Path) -> list[str]:
    """What differs between the documents (each one that differs is saved in dump_dir), and which
    markers are missing or doubled."""
    problems = []
    expected = {b"~c%dn%d~" % (e.index, n) for e in editors for n in range(e.seq)}
    reference = editors[0]
    reference_update = canonical_update(reference.doc)
    for editor in editors:
        text = str(editor.name).encode()
        markers = MARKER.findall(text)
        found = {b"~c%sn%s~" % m for m in markers}
        if missing := expected - found:
            problems.append(f"editor {editor.index} lacks {len(missing)} markers, e.g. {sorted(missing)[:3]}")
        if len(markers) != len(found):
            problems.append(f"editor {editor.index} holds {len(markers) - len(found)} markers twice")
        if canonical_update(editor.doc) == reference_update:
            continue
        if editor.content() != reference.content():
            how = "its content differs"
        elif (ours := state_vector(editor.doc)) != (theirs := state_vector(reference.doc)):
            clients = sorted(c for c in ours.keys() | theirs.keys() if ours.get(c) != theirs.get(c))
            how = f"same content, but the state vector differs for clients {clients[:5]}"
        else:
            how = "same content and state vector, but another delete set or pending updates"
        dump_dir.mkdir(parents=True, exist_ok=True)
        for who in (reference, editor):
            (dump_dir / f"editor-{who.index}.update").write_bytes(who.doc.get_update())
        problems.append(f"editor {editor.index}'s document differs from editor 0's ({how}; saved in {dump_dir})")
    return problems


async def run_one(room: Room, count: int, args: argparse.Namespace, pids: list[int], dump_dir: Path) -> dict[str, Any]:
    editors = [Editor(i, room.urls[i % len(room.urls)], room) for i in range(count)]
    late = Editor(count, room.urls[count % len(room.urls)], room)
    stop_applying = asyncio.Event()
    applier = asyncio.create_task(apply_in_batches(editors, stop_applying))
    try:
        await asyncio.gather(*(join(e) for e in editors))
        await asyncio.sleep(1.0)  # the joins' awareness settles

        measured = Phase()
        for editor in editors:
            editor.phase = measured
        me = psutil.Process()
        cpu_before, server_cpu_before = sum(me.cpu_times()[:2]), sum(cpu_seconds(pid) for pid in pids)
        started = time.perf_counter()
        per_editor = int(args.rate * args.seconds)
        await asyncio.gather(*(type_markers(e, start=started + 0.1, rate=args.rate, count=per_editor) for e in editors))
        undelivered = await wait_delivered(editors, measured, args.drain)
        load_cpu = (sum(me.cpu_times()[:2]) - cpu_before) / (time.perf_counter() - started)
        server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_cpu_before

        fill = Phase()
        await fill_up(editors, args.late_after, fill)
        undelivered += await wait_delivered(editors, fill, args.drain)
        updates_before_join = sum(e.seq for e in editors)
        await join(late)

        everyone = [*editors, late]
        await asyncio.gather(*(e.sync(args.drain) for e in everyone))
        stop_applying.set()
        await applier
        for editor in everyone:
            editor.apply_pending()
            editor.check_alive()
        problems = compare_documents(everyone, dump_dir)
    finally:
        stop_applying.set()
        await asyncio.gather(*(e.close() for e in [*editors, late]), return_exceptions=True)

    sends = len(measured.sent_at)
    latencies = sorted(measured.latencies)
    late_state = len(late.doc.get_update())
    return {
        "editors": count,
        "offered": sends / (measured.last_send - measured.first_send),
        # deliveries per receiving editor over the time from the first send to the last delivery
        "delivered": len(latencies) / max(count - 1, 1) / (measured.last_delivery - measured.first_send)
        if latencies
        else 0.0,
        "p50": pct(latencies, 0.50),
        "p99": pct(latencies, 0.99),
        "lag": measured.last_delivery - measured.last_send if latencies else float("nan"),
        "undelivered": undelivered,
        "late_updates": updates_before_join,
        "late_bytes": late.sync_bytes,
        "late_state": late_state,
        "late_ratio": late.sync_bytes / late_state,
        "server_cpu_ms": server_cpu * 1000 / max(sends, 1),
        "load_cpu": load_cpu,
        "problems": problems,
    }


# -- the servers ---------------------------------------------------------------------------------


def start_server(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *command],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_port(port, process)
    except SystemExit as failed:
        stop(process)
        raise SystemExit(f"{command[0]}: {failed}; see {log}") from None
    return process


class NodeTarget:
    """The reference server: y-websocket 1.5.4's bin/server.js, a room per path, no authentication."""

    def __init__(self, var_dir: Path) -> None:
        ensure_node_packages(ROOT / "bench", "--omit=optional")  # without y-leveldb
        if not REFERENCE_SERVER.exists():
            raise SystemExit(f"{REFERENCE_SERVER} is missing: run `npm ci --omit=optional --ignore-scripts` in bench/")
        self.port = free_port()
        self.log = var_dir / "node-server.log"
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.processes = [start_server(["node", str(REFERENCE_SERVER)], env, self.port, self.log)]

    def room(self, count: int) -> Room:
        name = f"ws/recipes/bench-{count}-{random.getrandbits(32):08x}"
        return Room(urls=[f"ws://127.0.0.1:{self.port}/{name}"], logs=[str(self.log)])

    def close(self) -> None:
        for process in self.processes:
            stop(process)


class BrigadeTarget:
    """Two uvicorn processes on one PostgreSQL database and one Redis; a recipe per N, edited by its chefs."""

    def __init__(self, var_dir: Path, editor_counts: Sequence[int], postgres_url: str) -> None:
        from brigade import embedded_redis

        self.redis_process, redis_url = embedded_redis.start(var_dir / "redis", persist=False)
        self.processes: list[subprocess.Popen[bytes]] = []
        try:
            env = server_env("postgres", var_dir, redis_url, postgres_url)
            recreate_postgres_database(postgres_url)
            prepared = subprocess.run(
                [sys.executable, __file__, "--prepare", ",".join(map(str, editor_counts))],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if prepared.returncode != 0:
                raise SystemExit(f"preparing Brigade failed:\n{prepared.stderr[-3000:]}")
            setup = json.loads(prepared.stdout.strip().splitlines()[-1])
            self.cookies: list[str] = setup["cookies"]
            self.recipes: dict[str, int] = setup["recipes"]
            self.ports = [free_port(), free_port()]
            self.logs = [var_dir / f"uvicorn-{port}.log" for port in self.ports]
            for port, log in zip(self.ports, self.logs, strict=True):
                command = [sys.executable, "-m", "uvicorn", "brigade.asgi:application", "--host", "127.0.0.1",
                           "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                           "--ws-max-size", "1048576"]  # fmt: skip
                self.processes.append(start_server(command, env, port, log))
        except BaseException:
            self.close()
            raise

    def room(self, count: int) -> Room:
        recipe = self.recipes[str(count)]
        return Room(
            urls=[f"ws://127.0.0.1:{port}/ws/recipes/{recipe}" for port in self.ports],
            cookies=self.cookies,
            logs=[str(log) for log in self.logs],
        )

    def close(self) -> None:
        from brigade import embedded_redis

        for process in self.processes:
            stop(process)
        embedded_redis.stop(self.redis_process)


def prepare_in_subprocess(editor_counts: list[int]) -> None:
    """Child mode: migrate; chefs for the largest N plus a late joiner; a recipe per N that they all edit."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.services import user_sign_up
    from bench.common import session_cookie
    from kitchen.models import Chef
    from kitchen.services import recipe_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
    call_command("migrate", verbosity=0)
    users = [user_sign_up(username=f"editor{i}", password="bench-password-123") for i in range(max(editor_counts) + 1)]
    chefs = [Chef.objects.get(user=user) for user in users]
    recipes = {
        str(count): recipe_create(
            owner=chefs[0], name=f"Soup for {count}", description="Co-edited", collaborators=chefs[1:]
        ).pk
        for count in editor_counts
    }
    print(json.dumps({"cookies": [session_cookie(user) for user in users], "recipes": recipes}))


# -- the report ----------------------------------------------------------------------------------


def print_row(target: str, r: dict[str, Any]) -> None:
    print(
        f"N={r['editors']:>3} {TARGETS[target]:>17}: offered {r['offered']:.1f} updates/s, "
        f"delivered {r['delivered']:.1f}/s to each editor; p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; "
        f"last delivery {r['lag'] * 1000:.0f} ms after the last send; undelivered {r['undelivered']}; "
        f"late joiner {r['late_bytes']:,} B for a {r['late_state']:,} B state after {r['late_updates']:,} updates "
        f"({r['late_ratio']:.2f}x); server CPU {r['server_cpu_ms']:.2f} ms/update; "
        f"load generator CPU {r['load_cpu']:.0%}",
        flush=True,
    )


COLUMNS = [
    ("N", lambda r: str(r["editors"])),
    ("server", lambda r: TARGETS[r["target"]]),
    ("offered updates/s", lambda r: f"{r['offered']:.1f}"),
    ("delivered updates/s (each editor)", lambda r: f"{r['delivered']:.1f}"),
    ("p50 ms", lambda r: f"{r['p50']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99']:.1f}"),
    ("last delivery after last send", lambda r: f"{r['lag'] * 1000:.0f} ms"),
    ("late joiner bytes / state", lambda r: f"{r['late_bytes']:,} / {r['late_state']:,} = {r['late_ratio']:.2f}x"),
    ("server CPU ms/update", lambda r: f"{r['server_cpu_ms']:.2f}"),
    ("load gen. CPU", lambda r: f"{r['load_cpu']:.0%}"),
]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def print_tables(results: dict[tuple[int, str], dict[str, Any]], counts: list[int], targets: list[str]) -> None:
    print("| " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for count in counts:
        for target in targets:
            if (r := results.get((count, target))) is not None:
                print("| " + " | ".join(cell({**r, "target": target}) for _, cell in COLUMNS) + " |")
    pairs = [(results.get((n, "brigade")), results.get((n, "node"))) for n in counts]
    if not any(b and n for b, n in pairs):
        return
    print()
    header = ["N", "p50", "p99", "p99 difference", "delivered", "late joiner bytes"]
    print("| " + " | ".join(header) + " |  (Brigade against Node)")
    print("|" + "---|" * len(header))
    for count, (b, n) in zip(counts, pairs, strict=True):
        if b and n:
            print(
                f"| {count} | {ratio(b['p50'], n['p50'])} | {ratio(b['p99'], n['p99'])} | "
                f"{b['p99'] - n['p99']:+.1f} ms | {ratio(b['delivered'], n['delivered'])} | "
                f"{ratio(b['late_ratio'], n['late_ratio'])} |"
            )
    print()
    for count, (b, n) in zip(counts, pairs, strict=True):
        if b is None:
            continue
        verdicts = [f"late joiner {b['late_ratio']:.2f}x <= 1.2x: {yes(b['late_ratio'] <= 1.2)}"]
        verdicts.append(f"delivered at the offered rate: {yes(b['delivered'] >= 0.98 * b['offered'])}")
        if count == 20 and n:
            verdicts.append(f"p99 {b['p99']:.1f} <= Node's {n['p99']:.1f} + 15 ms: {yes(b['p99'] <= n['p99'] + 15)}")
        if count == 50:
            verdicts.append(f"p99 {b['p99']:.1f} < 100 ms: {yes(b['p99'] < 100)}")
        print(f"targets at N = {count}: " + "; ".join(verdicts))


def yes(met: bool) -> str:
    return "met" if met else "MISSED"


def main(args: argparse.Namespace) -> None:
    os.sched_setaffinity(0, {CLIENT_CPU})
    counts = [int(n) for n in args.editors.split(",")]
    targets = args.target.split(",")
    if unknown := set(targets) - set(TARGETS):
        raise SystemExit(f"unknown --target {', '.join(sorted(unknown))}: choose among {', '.join(TARGETS)}")
    print(
        f"N = {counts} editors x {args.rate}/s for {args.seconds} s; late joiner after {args.late_after:,} updates; "
        f"load average {os.getloadavg()}",
        flush=True,
    )
    var_dir = Path(tempfile.mkdtemp(prefix="brigade-collab-"))
    servers: dict[str, NodeTarget | BrigadeTarget] = {}
    results: dict[tuple[int, str], dict[str, Any]] = {}
    failures = []
    try:
        for target in targets:
            servers[target] = (
                NodeTarget(var_dir) if target == "node" else BrigadeTarget(var_dir, counts, args.postgres_url)
            )
        for count in counts:
            for target, server in servers.items():
                room = server.room(count)
                try:
                    pids = [p.pid for p in server.processes]
                    result = uvloop.run(run_one(room, count, args, pids, var_dir / f"documents-{target}-{count}"))
                except RunFailed as failed:
                    failures.append(f"N={count} {TARGETS[target]}: {failed} (server logs: {', '.join(room.logs)})")
                    print(f"N={count} {TARGETS[target]}: FAILED: {failures[-1]}", flush=True)
                    continue
                results[(count, target)] = result
                print_row(target, result)
                problems = result["problems"]
                if result["undelivered"]:
                    problems.insert(0, f"{result['undelivered']} deliveries never arrived")
                if problems:
                    failures.append(f"N={count} {TARGETS[target]}: " + "; ".join(problems[:5]))
    finally:
        for server in servers.values():
            server.close()
    print(f"load average at the end {os.getloadavg()}")
    print()
    print_tables(results, counts, targets)
    if failures:
        print()
        raise SystemExit("the run FAILED:\n" + "\n".join(failures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--editors", default="5,20,50", help="numbers of editors, comma-separated")
    parser.add_argument("--rate", type=float, default=5.0, help="updates/s each editor sends")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the measured typing lasts")
    parser.add_argument("--target", default="node,brigade", help="servers to run against: node, brigade or both")
    parser.add_argument("--late-after", type=int, default=2000, help="updates in the document before the late join")
    parser.add_argument("--drain", type=float, default=30.0, help="how long to wait for the last deliveries")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/brg_bench_collab"),
        help="a database the bench may drop and create",
    )
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.prepare is not None:
        prepare_in_subprocess([int(n) for n in parsed.prepare.split(",")])
    else:
        main(parsed)
