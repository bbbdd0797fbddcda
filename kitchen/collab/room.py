"""One recipe's live document in one server process, shared by that process's sockets.

The room owns a pycrdt `Doc` equal to the stored document plus what other processes published.
Its loop (`_run`) takes turns:
1. apply the client updates queued since the last turn, each validated (a bad one is refused and
   the document rebuilt from storage);
2. store what they changed (one transaction for the whole batch: group commit), then send it to
   the other local sockets and publish it for the other processes;
3. answer the sync requests (step 1) that arrived meanwhile, from a document that now holds only
   stored content.
So nothing is seen by anyone before it is stored, a joiner waits at most one turn, and a crash
loses no update anyone saw. Updates other processes published are applied as they arrive (they
were stored first); a gap in their sequence numbers, a lost Redis connection, and a timer read the
log from the database ("never trust pub/sub alone").

Awareness (presence) is kept per room: a socket may speak only for the client ids it claimed, and
the `user` of every entry is the session's user, written by the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from pycrdt import Array, Doc, Map, Text, get_state, merge_updates
from pycrdt import get_update as diff_update

from core.db import database_call
from core.realtime.hub import apublish_raw, hub
from core.realtime.messages import MessageError, parse_json_dict
from core.redis_clients import LoopLocal
from kitchen.collab import frames, schema, store
from kitchen.collab.frames import Malformed

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 1.0  # write back to the rows once edits pause this long...
SETTLE_MAX_SECONDS = 5.0  # ...or at the latest this long after the first unwritten edit
POLL_SECONDS = 10.0  # read the stored log this often anyway; every second while Redis is away
UNLOAD_SECONDS = 30.0  # keep an empty room this long (a reload reconnects at once)
MAX_NEW_CLIENTS = 4  # new Yjs client ids one socket may introduce (y-websocket uses one per page)
MAX_SOCKETS_PER_USER = 8  # per recipe, per process
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # encoded
COMPACT_BYTES = 16 * 1024 * 1024  # stored by this room since its last compaction
MAX_CLIENTS = 10_000  # client ids one document may hold (each costs every later joiner ~10 bytes)
MAX_LINES, MAX_STEPS = 500, 200
AWARENESS_STATE_BYTES = 4096
AWARENESS_IDS_PER_SOCKET = 2
REMOTE_PRESENCE_SECONDS = 30.0
STRUCTURED_ROOTS = ("meta", "lines", "steps")
COLOURS = ("#d9480f", "#1971c2", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c2255c", "#5f3dc4")


def colour_of(user_id: int) -> str:
    return COLOURS[user_id % len(COLOURS)]


class Peer(Protocol):
    """What a room needs of a socket (kitchen.consumers.RecipeDocumentConsumer)."""

    user_id: int
    user_name: str
    can_edit: bool

    def put(self, frame: bytes) -> None: ...  # queue a frame (never waits)

    def incident(self, kind: str) -> None: ...  # a refused message: counted, logged, may close

    async def close_with(self, code: int) -> None: ...


class Refused(Exception):
    def __init__(self, kind: str, *, rebuild: bool = False) -> None:
        super().__init__(kind)
        self.kind = kind
        self.rebuild = rebuild


@dataclass
class Presence:
    clock: int
    state: str  # JSON text as sent to clients ("null" once gone)
    owner: Peer | bytes  # a local socket, or another process's origin
    seen: float = field(default_factory=time.monotonic)


class Room:
    def __init__(self, recipe_id: int, on_empty: Callable[[Room], None]) -> None:
        self.recipe_id = recipe_id
        self.topic = frames.topic(recipe_id)
        self.origin = os.urandom(frames.ORIGIN_BYTES)
        self.peers: set[Peer] = set()
        self.doc: Doc = schema.new_doc()
        self.seq = 0  # every stored update up to this one is in self.doc
        self._ahead: dict[int, int] = {}  # first -> last of applied ranges beyond self.seq
        self._captured: list[bytes] = []
        self._touched: set[str] = set()  # the structured roots an update being applied changed
        self._known_clients: set[int] = set()  # Yjs client ids the document holds (a cache)
        self._introduced: dict[Peer, int] = {}  # new client ids each socket brought in
        self._size = 0  # the document's encoded size, estimated from above between measures
        self._observe(self.doc)
        self._queue: list[tuple[bytes, Peer]] = []
        self._step1: list[tuple[bytes, Peer]] = []
        self._wakeup = asyncio.Event()
        self._remote_early: list[bytes] = []
        self.loaded = asyncio.Event()
        self._load_error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # the room's own tasks, cancelled when it stops
        self._on_empty = on_empty
        self._unload: asyncio.TimerHandle | None = None
        self.presence: dict[int, Presence] = {}
        self._stale = False
        self._first_unwritten: float | None = None
        self._last_stored = 0.0
        self._writer: asyncio.Task[None] | None = None
        self._compacting = False
        self._snapshot_seq = 0
        self._log_bytes = 0  # bytes this room stored since its last compaction
        self.closed = False

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # Join before loading: whatever is published while the database is read is kept and applied.
        await hub().join(
            self.topic, self, self._on_remote, binary=True, on_resync=self._resync, on_stale=self._went_stale
        )
        try:
            stored = await database_call(store.document_stored)(recipe_id=self.recipe_id)
            if stored is None:
                raise LookupError(f"recipe {self.recipe_id} has no document")
            self._snapshot_seq = stored.snapshot_seq
            self._rebuild(stored)
        except BaseException as error:
            self._load_error = error
            self.loaded.set()
            await self.stop()
            raise
        self.loaded.set()
        early, self._remote_early = self._remote_early, []
        for frame in early:
            self._remote(frame)
        self._spawn(self._run())
        self._spawn(self._poll())
        await self._publish(frames.remote_query(self.origin))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self.closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await hub().leave(self.topic, self)

    def _rebuild(self, stored: store.Stored) -> None:
        """Replace the document by the stored one (at load, and after a refused update changed it)."""
        doc = schema.new_doc()
        if stored.snapshot:
            doc.apply_update(stored.snapshot)
        for _, update in stored.updates:
            doc.apply_update(update)
        self.doc = doc  # the old document and its observers go with it
        self._observe(doc)
        self._size = len(doc.get_update())
        self.seq = stored.last_seq
        self._ahead.clear()
        self._captured.clear()

    def _observe(self, doc: Doc) -> None:
        # pycrdt drops a subscription whose object is collected: keep them with the document.
        self._subscriptions = [doc.observe(self._capture)]
        for root in STRUCTURED_ROOTS:
            shared = doc.get(root, type=Map if root == "meta" else Array)
            self._subscriptions.append(shared.observe_deep(self._toucher(root)))

    def _toucher(self, root: str) -> Callable[[Any], None]:
        # One parameter exactly: pycrdt passes the transaction too to a callback that takes two.
        return lambda events: self._touched.add(root)

    def _capture(self, event: Any) -> None:
        self._captured.append(event.update)

    # -- sockets ------------------------------------------------------------------------------

    async def add(self, peer: Peer) -> None:
        if self._unload is not None:
            self._unload.cancel()
            self._unload = None
        await self.loaded.wait()
        if self._load_error is not None:
            raise RuntimeError("the document could not be loaded") from self._load_error
        if sum(1 for other in self.peers if other.user_id == peer.user_id) >= MAX_SOCKETS_PER_USER:
            raise Refused("too_many_sockets")
        # The server's own step 1, so an editor sends what it has that the server lacks (offline edits).
        if peer.can_edit:
            peer.put(frames.sync(frames.STEP1, self.doc.get_state()))
        known = [(client, entry.clock, entry.state) for client, entry in self.presence.items() if entry.state != "null"]
        if known:
            peer.put(frames.awareness(known))
        self.peers.add(peer)

    async def remove(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self._introduced.pop(peer, None)
        gone = [client for client, entry in self.presence.items() if entry.owner is peer]
        if gone:
            entries = []
            for client in gone:
                entry = self.presence.pop(client)
                entries.append((client, entry.clock + 1, "null"))
            message = frames.awareness(entries)
            self._to_local(message)
            await self._publish(frames.remote_awareness(self.origin, message))
        if not self.peers and not self.closed:
            self._unload = asyncio.get_running_loop().call_later(UNLOAD_SECONDS, self._on_empty, self)

    def receive(self, peer: Peer, message: frames.Sync) -> None:
        """A sync message from a socket (awareness goes to `awareness`)."""
        if message.sub == frames.STEP1:
            self._step1.append((message.payload, peer))
        elif message.payload == frames.EMPTY_UPDATE:
            return
        elif not peer.can_edit:
            peer.incident("read_only")
            return
        else:
            self._queue.append((message.payload, peer))
        self._wakeup.set()

    # -- the loop: apply, store, fan out, answer joiners ---------------------------------------

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self._turn()
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # a bug (or a pyo3 panic) must not stop the room: logged, next turn
                logger.exception("recipe %s: a room turn failed", self.recipe_id)

    async def _turn(self) -> None:
        queue, self._queue = self._queue, []
        if queue:
            await self._accept(queue)
        step1, self._step1 = self._step1, []
        for state, peer in step1:
            try:
                update = self.doc.get_update(state)
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # ValueError, or a pyo3 panic on a state vector yrs chokes on
                peer.incident("bad_state_vector")
                continue
            peer.put(frames.sync(frames.STEP2, update))

    async def _accept(self, queue: list[tuple[bytes, Peer]]) -> None:
        accepted: list[tuple[bytes, Peer]] = []
        for update, peer in queue:  # a sender gone since is no reason to lose what it sent
            try:
                for change in self._apply_client(update, peer):
                    accepted.append((change, peer))
            except Refused as refusal:
                peer.incident(refusal.kind)
                if refusal.rebuild:  # the document took part of it: start again from storage + this batch
                    await self._reload(keep=[change for change, _ in accepted])
        if not accepted:
            return
        try:
            first, last = await database_call(store.document_append)(
                recipe_id=self.recipe_id, updates=[(change, peer.user_id) for change, peer in accepted]
            )
        except Exception:
            logger.exception(
                "recipe %s: could not store %d updates; their senders resend", self.recipe_id, len(accepted)
            )
            await self._reload(keep=[])
            for peer in {peer for _, peer in accepted}:
                await peer.close_with(1011)
            return
        self._applied(first, last)
        for change, origin in accepted:
            message = frames.sync(frames.UPDATE, change)
            for peer in self.peers:
                if peer is not origin:
                    peer.put(message)
        merged = merge_updates(*(change for change, _ in accepted)) if len(accepted) > 1 else accepted[0][0]
        await self._publish(frames.remote_update(first, last, merged, self.origin))
        self._stored(last, sum(len(change) for change, _ in accepted))

    def _apply_client(self, update: bytes, peer: Peer) -> list[bytes]:
        """Apply one client update; returns what it changed (as re-encoded by our yrs: clients only
        ever receive bytes our own library produced). Raises Refused."""
        try:
            vector = frames.state_vector(get_state(update))
        except (ValueError, Malformed):
            raise Refused("undecodable_update") from None
        new = [client for client in vector if client not in self._known_clients]
        if new:  # the cache may be behind (other processes' updates): ask the document
            self._known_clients = set(self._state())
            new = [client for client in vector if client not in self._known_clients]
        introduced = self._introduced.get(peer, 0) + len(new)
        if introduced > MAX_NEW_CLIENTS or len(self._known_clients) + len(new) > MAX_CLIENTS:
            raise Refused("too_many_clients")
        if self._size + len(update) > MAX_DOCUMENT_BYTES:
            self._size = len(self.doc.get_update())  # the estimate only grows: measure
            if self._size + len(update) > MAX_DOCUMENT_BYTES:
                raise Refused("document_too_large")
        before = len(self._captured)
        self._touched.clear()
        try:
            with self.doc.transaction(origin=peer.user_id):
                self.doc.apply_update(update)
        except ValueError:
            raise Refused("undecodable_update") from None
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # RuntimeError, and pyo3's PanicException (a BaseException)
            raise Refused("unappliable_update", rebuild=True) from None
        changes = self._captured[before:]
        del self._captured[before:]
        if not changes:
            # A repeat, or it depends on something this document lacks: yrs then keeps its content
            # pending (in memory, unstored). Its part beyond this document's state has content
            # only in that case: drop it, and ask the client for everything the server lacks.
            try:
                beyond = diff_update(update, self.doc.get_state())
            except ValueError:
                beyond = b"\x01"
            if beyond[:1] != b"\x00":
                peer.put(frames.sync(frames.STEP1, self.doc.get_state()))
                raise Refused("depends_on_missing", rebuild=True)
            return []
        problem = self._schema_problem()
        if problem is not None:
            raise Refused(problem, rebuild=True)
        if new:
            self._introduced[peer] = introduced
            self._known_clients.update(new)
        self._size += sum(len(change) for change in changes)
        return changes

    def _state(self) -> dict[int, int]:
        return frames.state_vector(self.doc.get_state())

    def _schema_problem(self) -> str | None:
        """What is wrong with the document's shape after an update, looking only at the roots it
        changed (typing in the name or description costs nothing here)."""
        doc = self.doc
        if set(doc.keys()) - set(schema.ROOTS):
            return "unknown_root"
        if "lines" in self._touched:
            lines = doc.get("lines", type=Array)
            if len(lines) > MAX_LINES:
                return "too_many_items"
            for item in lines:
                if not isinstance(item, Map) or any(isinstance(value, Map | Array | Text) for value in item.values()):
                    return "bad_line"
        if "steps" in self._touched:
            steps = doc.get("steps", type=Array)
            if len(steps) > MAX_STEPS:
                return "too_many_items"
            for item in steps:
                if not isinstance(item, Map):
                    return "bad_step"
                for key, value in item.items():
                    if isinstance(value, Map | Array) or (isinstance(value, Text) and key != "text"):
                        return "bad_step"
        if "meta" in self._touched:
            for key, value in doc.get("meta", type=Map).items():
                if key == "categories":
                    if not isinstance(value, Map) or len(value) > 100:
                        return "bad_meta"
                elif isinstance(value, Map | Array | Text):
                    return "bad_meta"
        return None

    async def _reload(self, *, keep: list[bytes]) -> None:
        stored = await database_call(store.document_stored)(recipe_id=self.recipe_id)
        if stored is None:
            return
        self._rebuild(stored)
        for update in keep:
            self.doc.apply_update(update)
        self._captured.clear()
        # Updates from other processes applied to the old document while the store was read may
        # be newer than what was read: read the log again from here (sockets ignore repeats).
        await self.catch_up()

    def _applied(self, first: int, last: int) -> None:
        if first <= self.seq + 1:
            self.seq = max(self.seq, last)
        else:
            self._ahead[first] = max(last, self._ahead.get(first, 0))
        while self.seq + 1 in self._ahead:
            self.seq = max(self.seq, self._ahead.pop(self.seq + 1))
        for start in [start for start in self._ahead if self._ahead[start] <= self.seq]:
            del self._ahead[start]

    # -- between processes --------------------------------------------------------------------

    async def _publish(self, frame: bytes) -> None:
        try:
            await apublish_raw(self.topic, frame)
        except Exception as error:  # the others catch up from the database (their timer, or Redis' return)
            logger.warning("recipe %s: could not publish to other processes (%s)", self.recipe_id, error)

    async def _on_remote(self, frame: bytes) -> None:
        if not self.loaded.is_set():
            self._remote_early.append(frame)
            return
        self._remote(frame)

    def _remote(self, frame: bytes) -> None:
        try:
            remote = frames.parse_remote(frame)
        except Exception:
            logger.warning("recipe %s: unreadable frame from another process", self.recipe_id)
            return
        if remote.origin == self.origin:
            return
        if remote.kind == "U":
            self._remote_update(remote)
        elif remote.kind == "A":
            self._remote_awareness(remote)
        elif remote.kind == "Q":
            mine = [(c, e.clock, e.state) for c, e in self.presence.items() if not isinstance(e.owner, bytes)]
            if mine:
                self._spawn(self._publish(frames.remote_awareness(self.origin, frames.awareness(mine))))
        elif remote.kind == "C":
            self._spawn(self._control(json.loads(remote.message)))

    def _remote_update(self, remote: frames.Remote) -> None:
        if remote.last <= self.seq or remote.first in self._ahead:
            return
        try:
            parsed = frames.parse(remote.message)
            assert isinstance(parsed, frames.Sync)
            changes = self._apply_trusted(parsed.payload)
        except Exception:
            logger.exception("recipe %s: could not apply another process's update", self.recipe_id)
            return
        self._applied(remote.first, remote.last)
        for change in changes:
            self._to_local(frames.sync(frames.UPDATE, change))
        if self._ahead:  # a gap: another publish is late or lost; the log has it
            self._wakeup_poll(0.25)

    def _apply_trusted(self, update: bytes) -> list[bytes]:
        before = len(self._captured)
        self.doc.apply_update(update)
        changes = self._captured[before:]
        del self._captured[before:]
        self._size += sum(len(change) for change in changes)
        return changes

    def _to_local(self, message: bytes) -> None:
        for peer in self.peers:
            peer.put(message)

    async def catch_up(self) -> None:
        """Apply whatever the log holds beyond what this room has seen, and pass it on."""
        stored = await database_call(store.document_stored)(recipe_id=self.recipe_id, after=self.seq)
        if stored is None:
            await self._control({"deleted": True})
            return
        changes: list[bytes] = []
        if stored.snapshot:
            changes += self._apply_trusted(stored.snapshot)
        for _, update in stored.updates:
            changes += self._apply_trusted(update)
        if stored.last_seq > self.seq:
            self.seq = stored.last_seq
            self._ahead = {k: v for k, v in self._ahead.items() if v > self.seq}
        if changes:
            self._to_local(frames.sync(frames.UPDATE, merge_updates(*changes)))

    async def _went_stale(self) -> None:
        self._stale = True
        self._wakeup_poll(1.0)

    async def _resync(self) -> None:
        self._stale = False
        await self.catch_up()
        mine = [(c, e.clock, e.state) for c, e in self.presence.items() if not isinstance(e.owner, bytes)]
        if mine:
            await self._publish(frames.remote_awareness(self.origin, frames.awareness(mine)))
        await self._publish(frames.remote_query(self.origin))

    _poll_now: asyncio.Event | None = None

    def _wakeup_poll(self, delay: float) -> None:
        if self._poll_now is not None:
            asyncio.get_running_loop().call_later(delay, self._poll_now.set)

    async def _poll(self) -> None:
        self._poll_now = asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0 if self._stale else POLL_SECONDS):
                    await self._poll_now.wait()
            self._poll_now.clear()
            try:
                await self.catch_up()
            except Exception as error:
                logger.warning("recipe %s: could not read the stored document (%s)", self.recipe_id, error)
            self._expire_presence()
            if self._stale:
                continue

    async def _control(self, event: dict[str, Any]) -> None:
        from kitchen.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, document_access

        if event.get("deleted"):
            for peer in list(self.peers):
                await peer.close_with(CLOSE_NOT_FOUND)
            return
        users = set(event.get("access") or [])
        for peer in list(self.peers):
            if peer.user_id not in users:
                continue
            access = await document_access(peer.user_id, self.recipe_id)
            if access == "edit":
                continue
            if access == "read" and not peer.can_edit:
                continue
            await peer.close_with(CLOSE_FORBIDDEN if access in ("read", "hidden") else CLOSE_NOT_FOUND)

    # -- write-back, compaction ---------------------------------------------------------------

    def _stored(self, last: int, size: int) -> None:
        """This process stored updates up to `last` (`size` bytes): write them back to the rows soon
        (the process that stored an update writes it back; the beat sweep covers one that died
        first), and fold the log into the snapshot every COLLAB_COMPACT_EVERY updates, or sooner
        when they are big (inserting and deleting a large text keeps the document small and the
        log not)."""
        self._log_bytes += size
        now = time.monotonic()
        self._last_stored = now
        if self._first_unwritten is None:
            self._first_unwritten = now
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_back_soon(), name=f"collab-write-back-{self.recipe_id}")
        due = last - self._snapshot_seq >= settings.COLLAB_COMPACT_EVERY or self._log_bytes >= COMPACT_BYTES
        if due and not self._compacting:
            self._compacting = True
            self._log_bytes = 0
            self._spawn(self._compact())

    async def _write_back_soon(self) -> None:
        while True:
            while True:
                now = time.monotonic()
                first = self._first_unwritten or now
                wait = min(self._last_stored + SETTLE_SECONDS, first + SETTLE_MAX_SECONDS) - now
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._first_unwritten = None
            try:
                await database_call(write_back)(recipe_id=self.recipe_id)
            except Exception:
                logger.exception("recipe %s: write-back failed; the sweep task retries it", self.recipe_id)
            if self._first_unwritten is None:  # nothing stored while it ran
                return

    async def _compact(self) -> None:
        try:
            self._snapshot_seq = await database_call(store.document_compact)(recipe_id=self.recipe_id)
        except Exception:
            logger.exception("recipe %s: compaction failed", self.recipe_id)
        finally:
            self._compacting = False

    # -- presence -----------------------------------------------------------------------------

    def awareness(self, peer: Peer, payload: bytes) -> None:
        """An awareness update from a local socket: only entries for ids it owns are taken, and their
        `user` is the session's. Echoes of other clients' entries (y-websocket re-sends every entry it
        knows) are dropped quietly; an attempt to overwrite one with a newer clock is an incident."""
        try:
            entries = frames.awareness_entries(payload)
        except Malformed as error:
            peer.incident(f"awareness_{error.kind}")
            return
        accepted: list[tuple[int, int, str]] = []
        for client, clock, state in entries:
            entry = self.presence.get(client)
            if entry is not None and entry.owner is not peer:
                if clock > entry.clock:
                    peer.incident("awareness_not_yours")
                continue
            if entry is None:
                owned = sum(1 for e in self.presence.values() if e.owner is peer)
                if state == "null" or owned >= AWARENESS_IDS_PER_SOCKET:
                    continue
            elif clock < entry.clock or (clock == entry.clock and state != "null"):
                continue  # an old or repeated entry
            text = self._presence_state(peer, state)
            if text is None:
                continue
            if text == "null":
                self.presence.pop(client, None)
            else:
                self.presence[client] = Presence(clock, text, peer)
            accepted.append((client, clock, text))
        if accepted:
            message = frames.awareness(accepted)
            self._to_local(message)  # the sender too: it is what keeps a lone client's connection alive
            self._spawn(self._publish(frames.remote_awareness(self.origin, message)))

    def _presence_state(self, peer: Peer, state: str) -> str | None:
        if state == "null":
            return "null"
        if len(state.encode()) > AWARENESS_STATE_BYTES:
            peer.incident("awareness_too_large")
            return None
        try:
            value = parse_json_dict(state, max_bytes=AWARENESS_STATE_BYTES)
        except MessageError:
            peer.incident("awareness_not_an_object")
            return None
        value["user"] = {"id": peer.user_id, "name": peer.user_name, "color": colour_of(peer.user_id)}
        # ASCII: a lone surrogate ("\ud800" in the client's JSON) stays an escape, never bad UTF-8.
        return json.dumps(value, separators=(",", ":"))

    def _remote_awareness(self, remote: frames.Remote) -> None:
        try:
            parsed = frames.parse(remote.message)
            assert isinstance(parsed, frames.Awareness)
            entries = frames.awareness_entries(parsed.payload)
        except Exception:
            return
        changed = []
        for client, clock, state in entries:
            entry = self.presence.get(client)
            if entry is not None and not isinstance(entry.owner, bytes):
                continue  # a local socket's id
            if entry is not None and clock < entry.clock:
                continue
            if state == "null":
                self.presence.pop(client, None)
            else:
                self.presence[client] = Presence(clock, state, remote.origin)
            changed.append((client, clock, state))
        if changed:
            self._to_local(frames.awareness(changed))

    def _expire_presence(self) -> None:
        now = time.monotonic()
        gone = [
            (client, entry.clock + 1, "null")
            for client, entry in self.presence.items()
            if isinstance(entry.owner, bytes) and now - entry.seen > REMOTE_PRESENCE_SECONDS
        ]
        for client, _, _ in gone:
            del self.presence[client]
        if gone:
            self._to_local(frames.awareness(gone))


def write_back(*, recipe_id: int) -> None:
    """Write the stored document back to the rows, and keep a version now and then."""
    store.document_write_back(recipe_id=recipe_id)
    store.version_save_if_due(recipe_id=recipe_id)


class Rooms:
    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self._starting: dict[int, asyncio.Task[Room]] = {}
        self._stopping: set[asyncio.Future[None]] = set()

    async def get(self, recipe_id: int) -> Room:
        room = self.rooms.get(recipe_id)
        if room is not None and not room.closed:
            return room
        task = self._starting.get(recipe_id)
        if task is None:
            task = asyncio.ensure_future(self._start(recipe_id))
            self._starting[recipe_id] = task
        return await asyncio.shield(task)

    async def _start(self, recipe_id: int) -> Room:
        try:
            room = Room(recipe_id, self._empty)
            await room.start()
            self.rooms[recipe_id] = room
            return room
        finally:
            self._starting.pop(recipe_id, None)

    def _empty(self, room: Room) -> None:
        if room.peers or self.rooms.get(room.recipe_id) is not room:
            return
        del self.rooms[room.recipe_id]
        task = asyncio.ensure_future(room.stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)


_rooms: LoopLocal[Rooms] = LoopLocal(Rooms)


def rooms() -> Rooms:
    return _rooms.get()
