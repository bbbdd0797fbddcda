"""The base consumer every JSON socket subclasses: bad input or a bug never closes the socket with 1011."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from core.realtime.hub import hub
from core.realtime.messages import MAX_FRAME_BYTES, MessageError, parse_json_object
from core.realtime.outbox import SocketOutbox, close_soon

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013  # "try again later": the client reconnects with backoff and catches up


MAX_PENDING_FRAMES = 32  # per socket; a frame is at most max_frame_bytes
CLIENT_ID_MAX = 64


def client_id_of(payload: object) -> str | None:
    """The client's own id for a frame, echoed in errors so it knows which one to resend."""
    if isinstance(payload, dict):
        client_id = payload.get("client_id")
        if isinstance(client_id, str) and len(client_id) <= CLIENT_ID_MAX:
            return client_id
    return None


class JsonSocketConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    """Parses each frame with parse_json_object and hands it to handle(); errors go back as events.

    Channels reads the next frame only when the previous one is handled, so a busy server
    would leave frames waiting unseen in uvicorn's and the kernel's buffers. Here each frame is
    parsed on arrival and queued for a task of this socket's own that handles them in order;
    when `max_pending_frames` are already waiting, the frame is refused at once with a
    `slow_down` error (carrying its `client_id`), and the client sends it again later.
    """

    max_frame_bytes = MAX_FRAME_BYTES
    max_pending_frames = MAX_PENDING_FRAMES
    # Room events reach sockets through core.realtime.hub's per-process hub, so a socket needs no
    # channel of its own: an unconfigured alias makes Channels skip creating and polling one.
    channel_layer_alias = "unused-per-socket-channel"

    _inbox: asyncio.Queue[dict[str, Any] | MessageError] | None = None
    _inbox_task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._inbox_task is not None:
                self._inbox_task.cancel()  # the server cancelled the socket without a disconnect

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.receive":
            # Channels first runs close_old_connections in its one thread for sync code, shared
            # by every socket's database calls: while the database is slow this socket would stop
            # reading. Frame handlers reach the database through database_sync_to_async, which
            # closes old connections before and after each call in that same thread anyway.
            await self.websocket_receive(message)
            return
        await super().dispatch(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            item: dict[str, Any] | MessageError = parse_json_object(text_data, max_bytes=self.max_frame_bytes)
        except MessageError as error:
            item = error  # answered in turn, after the frames before it
        if self._inbox is None:
            self._inbox = asyncio.Queue(maxsize=self.max_pending_frames)
            self._inbox_task = asyncio.create_task(self._handle_inbox(self._inbox), name="socket-inbox")
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            await self._refuse_busy(item)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Stop handling frames before disconnect() tears the socket's state down.
        task = self._inbox_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().websocket_disconnect(message)

    async def _handle_inbox(self, inbox: asyncio.Queue[dict[str, Any] | MessageError]) -> None:
        while True:
            item = await inbox.get()
            try:
                await self._handle_frame(item)
            except Exception:  # the error reply itself failed: the socket is going away
                logger.debug("%s could not answer a frame", type(self).__name__, exc_info=True)

    async def _handle_frame(self, item: dict[str, Any] | MessageError) -> None:
        client_id = client_id_of(item)
        try:
            if isinstance(item, MessageError):
                raise item
            await self.handle(item)
        except MessageError as error:
            await self.send_error(error, client_id=client_id)
        except Exception:
            logger.exception("%s failed on a message", type(self).__name__)
            internal = MessageError("internal_error", "the server could not handle that message")
            await self.send_error(internal, client_id=client_id)

    async def _refuse_busy(self, item: dict[str, Any] | MessageError) -> None:
        # The server's backlog, not the client's fault: sent directly, so that subclasses
        # counting rejected frames (ChatConsumer's abuse limit) do not count it.
        error = MessageError("slow_down", "the server is busy: send that again in a moment")
        await self.send_json(error.as_event(client_id=client_id_of(item)))

    async def handle(self, payload: dict[str, Any]) -> None:
        raise MessageError("unknown_type", f"unknown message type {payload['type'][:40]!r}")

    async def send_json(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":")))

    async def send_error(self, error: MessageError, *, client_id: str | None = None) -> None:
        await self.send_json(error.as_event(client_id=client_id))

    # -- topics: events from the realtime hub, through an outbox of this socket's own ----------

    _outbox: SocketOutbox | None = None
    _topics: tuple[str, ...] = ()

    async def topic_join(self, topic: str) -> None:
        """Receive the topic's events (a socket may join several). They are queued per socket
        (core/realtime/outbox.py), so a client that stops reading never holds up the others; one
        that falls too far behind is closed."""
        if topic in self._topics:
            return
        outbox = self._outbox
        if outbox is None:
            outbox = SocketOutbox(self.base_send, on_overflow=self._fell_behind)
        # The hub tells each (topic, member) pair of a lost or restored Redis connection: hooks
        # that do nothing on every topic but the first keep it to one stale and one resync frame.
        quiet: dict[str, Any] = {"on_resync": _nothing, "on_stale": _nothing} if self._topics else {}
        try:
            await hub().join(topic, self, outbox.deliver, **quiet)
        except BaseException:
            if not self._topics:
                outbox.close()
            raise
        self._outbox, self._topics = outbox, (*self._topics, topic)

    async def topic_leave(self) -> None:
        """Leave every topic joined (on disconnect)."""
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None
            await self._leave_all()

    async def _leave_all(self) -> None:
        topics, self._topics = self._topics, ()
        for topic in topics:
            await hub().leave(topic, self)

    def _fell_behind(self) -> None:
        # Closing sends a frame, which waits for the stalled client: do it in a task, not in the
        # hub's fan-out. If the client never reads again, uvicorn's keepalive ping times it out.
        self._closing = asyncio.create_task(close_soon(self._close_behind))

    async def _close_behind(self) -> None:
        await self._leave_all()
        await self.close(code=CLOSE_TRY_AGAIN)


async def _nothing() -> None:
    return None


async def refuse(consumer: Any, code: int) -> None:
    """Refuse a socket with a close code the browser sees (4401, 4403, 4404, 1013): accept, then close.
    A close before the accept becomes an HTTP 403 at the handshake, which a browser reports as 1006,
    so connection.js would retry for ever instead of saying "not allowed here"."""
    await consumer.accept()
    await consumer.close(code=code)


class SignedInTopicsConsumer(JsonSocketConsumer):
    """A live page's socket: signed-in users only (others closed with 4401), joined to `topics(user)`.

    Subclasses name the topics from the session's user and validated route ids, never from
    anything else the client sent; `refusal(user)` may refuse the user with a close code (a
    page about one object: CLOSE_FORBIDDEN, CLOSE_NOT_FOUND); `joined(user)` may greet the
    client once the events flow.
    """

    def topics(self, user: Any) -> list[str]:
        raise NotImplementedError

    async def refusal(self, user: Any) -> int | None:
        return None

    async def joined(self, user: Any) -> None:
        return None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHORISED)
            return
        code = await self.refusal(user)
        if code is not None:
            await refuse(self, code)
            return
        await self.accept()
        for topic in self.topics(user):
            await self.topic_join(topic)
        await self.joined(user)

    async def disconnect(self, code: int) -> None:
        await self.topic_leave()


CLOSE_MALFORMED = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_FLOOD = 4429


class Bucket:
    """An in-process token bucket (one per socket: a limit per frame must not cost a Redis call)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class BinarySocketConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    """The base of binary-protocol sockets (co-editing): frames go out through an outbox, and bad
    input never closes the socket with 1011 or fills the log with tracebacks.

    `handle_bytes(frame)` does the work; it raises `Incident(kind)` for a refused frame (or calls
    `incident(kind)`). Each kind is logged once per socket per `INCIDENT_WINDOW`; more than
    `MAX_INCIDENTS` in that window closes the socket with 4400. Over `max_frame_bytes` closes with
    4413; over the rate (`frame_rate`, `byte_rate` per second) closes with 4429. Text frames are
    incidents.
    """

    channel_layer_alias = "unused-per-socket-channel"
    max_frame_bytes = 1024 * 1024
    frame_rate, frame_burst = 60.0, 120.0
    byte_rate, byte_burst = 1024 * 1024.0, 2 * 1024 * 1024.0
    MAX_INCIDENTS = 10
    INCIDENT_WINDOW = 10.0

    _outbox: SocketOutbox | None = None
    _closing_code: int | None = None

    def start_outbox(self) -> None:
        self._outbox = SocketOutbox(self.base_send, on_overflow=self._fell_behind, max_bytes=8 * 1024 * 1024)
        self._incidents: list[float] = []
        self._logged: dict[str, float] = {}
        self._frames = Bucket(self.frame_rate, self.frame_burst)
        self._background: set[asyncio.Task[None]] = set()
        self._bytes = Bucket(self.byte_rate, self.byte_burst)

    def put(self, frame: bytes) -> None:
        if self._outbox is not None:
            self._outbox.put(frame)

    def stop_outbox(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    def _fell_behind(self) -> None:
        self._close_soon(CLOSE_TRY_AGAIN)

    def _close_soon(self, code: int) -> None:
        """Close from code that must not wait (the hub's fan-out, a frame's handling)."""
        task = asyncio.create_task(close_soon(lambda: self.close_with(code)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close_with(self, code: int) -> None:
        if self._closing_code is not None:
            return
        self._closing_code = code
        self.stop_outbox()
        with contextlib.suppress(Exception):
            await self.close(code=code)

    def incident(self, kind: str) -> None:
        """A refused frame: logged (once per kind per window), counted; too many closes the socket."""
        now = time.monotonic()
        if now - self._logged.get(kind, -self.INCIDENT_WINDOW) >= self.INCIDENT_WINDOW:
            self._logged[kind] = now
            logger.warning("%s refused a frame: %s (%s)", type(self).__name__, kind, self.describe())
        self._incidents = [at for at in self._incidents if now - at < self.INCIDENT_WINDOW] + [now]
        if len(self._incidents) > self.MAX_INCIDENTS and self._closing_code is None:
            self._close_soon(CLOSE_MALFORMED)

    def describe(self) -> str:
        user = self.scope.get("user")
        return f"user {getattr(user, 'pk', None)}, {self.scope.get('path', '')}"

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._outbox is None or self._closing_code is not None:
            return
        if bytes_data is None:
            self.incident("text_frame")
            return
        if len(bytes_data) > self.max_frame_bytes:
            self.incident("frame_too_large")
            await self.close_with(CLOSE_TOO_LARGE)
            return
        admitted = self.admit(bytes_data)
        if admitted is None:
            return
        if not admitted or not self._bytes.take(len(bytes_data)):
            logger.warning("%s closed a flooding socket (%s)", type(self).__name__, self.describe())
            await self.close_with(CLOSE_FLOOD)
            return
        try:
            await self.handle_bytes(bytes_data)
        except Incident as incident:
            self.incident(incident.kind)
        except Exception:  # a bug: logged once, the socket stays open
            logger.exception("%s failed on a frame", type(self).__name__)

    def admit(self, frame: bytes) -> bool | None:
        """Whether this frame is within the socket's rate: True, False (a flood: the socket is closed),
        or None (dropped quietly: a subclass may treat some kinds so)."""
        return self._frames.take()

    async def handle_bytes(self, frame: bytes) -> None:
        raise NotImplementedError


class Incident(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
