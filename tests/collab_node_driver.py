"""Drive `tests/collab_node/client.mjs` (the real y-websocket client, in Node) from async tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "tests" / "collab_node" / "client.mjs"
FRONTEND = ROOT / "frontend"
INSTALL_HINT = "cd frontend && npm ci --ignore-scripts --no-audit --no-fund"

Event = dict[str, Any]


def node_available() -> bool:
    return shutil.which("node") is not None


def frontend_node_modules() -> Path:
    """frontend/node_modules with the client's packages, or a RuntimeError saying how to install them."""
    node_modules = FRONTEND / "node_modules"
    missing = [name for name in ("yjs", "y-websocket", "ws") if not (node_modules / name / "package.json").is_file()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not installed in {node_modules}: run `{INSTALL_HINT}`")
    return node_modules


class NodeYjsClient:
    """One client.mjs process: `send` commands, `wait_for` the events it prints (stderr lines included)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.history: list[Event] = []  # every event, in order of arrival
        self._pending: list[Event] = []  # events no wait_for has returned yet
        self._arrived = asyncio.Condition()
        self._exited = False
        assert process.stdout is not None
        assert process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(process.stdout, stdout=True)),
            asyncio.create_task(self._read(process.stderr, stdout=False)),
        ]

    @classmethod
    async def start(cls, ws_base: str, recipe_id: int | str, session_id: str, origin: str) -> Self:
        """Start a client of `<ws_base>/<recipe_id>` (ws_base e.g. ws://127.0.0.1:8000/ws/recipes)."""
        frontend_node_modules()
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        process = await asyncio.create_subprocess_exec(
            node, str(CLIENT), ws_base, str(recipe_id), session_id, origin,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader, *, stdout: bool) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip("\n")
            if stdout:
                try:
                    event: Event = json.loads(text)
                except ValueError:
                    event = {"event": "stdout", "line": text}
            else:
                event = {"event": "stderr", "line": text}
            async with self._arrived:
                self.history.append(event)
                self._pending.append(event)
                self._arrived.notify_all()
        if stdout:
            async with self._arrived:
                self._exited = True
                self._arrived.notify_all()

    async def send(self, command: Event) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def wait_for(self, matches: Callable[[Event], bool], timeout: float = 10) -> Event:
        """The first not yet returned event that matches, waiting up to timeout seconds for it."""
        try:
            async with asyncio.timeout(timeout), self._arrived:
                while True:
                    for index, event in enumerate(self._pending):
                        if matches(event):
                            return self._pending.pop(index)
                    if self._exited:
                        raise AssertionError(f"the Node client exited without that event; it printed:\n{self._tail()}")
                    await self._arrived.wait()
        except TimeoutError:
            message = f"no such event from the Node client within {timeout} s; it printed:\n{self._tail()}"
            raise AssertionError(message) from None

    async def wait_event(self, name: str, timeout: float = 10) -> Event:
        return await self.wait_for(lambda event: event.get("event") == name, timeout)

    async def state(self, timeout: float = 10) -> Event:
        """The client's document, awareness states and client id, as of now."""
        await self.send({"op": "state"})
        return await self.wait_event("state", timeout)

    def _tail(self, lines: int = 30) -> str:
        return "\n".join(json.dumps(event) for event in self.history[-lines:])

    async def close(self) -> None:
        """Ask the client to exit; kill it if it has not within 5 s."""
        if self.process.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self.send({"op": "exit"})
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
