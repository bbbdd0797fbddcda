"""A Yjs client over a real socket, for tests: pycrdt's document and sync helpers, y-websocket's behaviour
(step 1 on open, answers the server's step 1, sends each local change as an update, awareness)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from pycrdt import Doc
from pycrdt._sync import create_sync_message, create_update_message, handle_sync_message
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from kitchen.collab import frames, schema


class YClient:
    def __init__(self, base: str, recipe_id: int | str, cookie: str | None, *, origin: str | None = None) -> None:
        url = base.replace("http://", "ws://") + f"/ws/recipes/{recipe_id}"
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        self.socket: ClientConnection = connect(
            url, origin=origin or base, additional_headers=headers, open_timeout=10, max_size=None
        )  # type: ignore[arg-type]
        self.doc: Doc = schema.new_doc()
        self.synced = False
        self.close_code: int | None = None
        self.denied: list[str] = []
        self.awareness: dict[int, Any] = {}
        self.received_sync_bytes = 0
        self._clock = 0
        self._applying = False
        self.doc.observe(self._local_change)
        self.send(create_sync_message(self.doc))

    @property
    def client_id(self) -> int:
        return int(self.doc.client_id)

    def _local_change(self, event: Any) -> None:
        if not self._applying and self.close_code is None:
            self.send(create_update_message(event.update))

    def send(self, frame: bytes) -> None:
        try:
            self.socket.send(frame)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else 1006

    def pump(self, timeout: float = 0.2) -> None:
        """Handle frames until none arrives for `timeout` seconds (or the socket closes)."""
        while self.close_code is None:
            try:
                frame = self.socket.recv(timeout=timeout)
            except TimeoutError:
                return
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else 1006
                return
            if isinstance(frame, bytes):
                self.handle(frame)

    def handle(self, frame: bytes) -> None:
        kind = frame[0]
        if kind == frames.SYNC:
            self.received_sync_bytes += len(frame)
            if frame[1] in (frames.STEP2, frames.UPDATE):
                self._applying = True
                try:
                    handle_sync_message(frame[1:], self.doc)
                finally:
                    self._applying = False
                if frame[1] == frames.STEP2:
                    self.synced = True
            else:
                reply = handle_sync_message(frame[1:], self.doc)
                if reply is not None:
                    self.send(reply)
        elif kind == frames.AWARENESS:
            message = frames.parse(frame)
            assert isinstance(message, frames.Awareness)
            for client, _clock, state in frames.awareness_entries(message.payload):
                value = json.loads(state)
                if value is None:
                    self.awareness.pop(client, None)
                else:
                    self.awareness[client] = value
        elif kind == frames.AUTH:
            reader = frames.Reader(frame[1:])
            reader.uint()
            self.denied.append(reader.string())

    def wait(self, predicate: Callable[[], bool], *, timeout: float = 10, what: str = "a condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; content: {self.content()}")
            if self.close_code is not None and not predicate():
                raise AssertionError(f"socket closed with {self.close_code} while waiting for {what}")
            self.pump(0.05)

    def wait_synced(self) -> YClient:
        self.wait(lambda: self.synced, what="the first sync")
        return self

    def wait_closed(self, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while self.close_code is None and time.monotonic() < deadline:
            self.pump(0.1)
        assert self.close_code is not None, "the socket stayed open"
        return self.close_code

    def set_presence(
        self, state: dict[str, Any] | None, *, client_id: int | None = None, clock: int | None = None
    ) -> None:
        self._clock += 1
        entry = (client_id or self.client_id, clock or self._clock, json.dumps(state))
        self.send(frames.awareness([entry]))

    def content(self) -> schema.Content:
        return schema.read(self.doc)

    def close(self) -> None:
        self.socket.close()
