"""The ceiling for chat_fanout.py: the smallest broadcast server the `websockets` library allows.

Every text frame from any client is broadcast, as is, to every other connected client.
"""

from __future__ import annotations

import argparse

import uvloop
from websockets.asyncio.server import broadcast, serve

clients = set()


async def handler(socket) -> None:
    clients.add(socket)
    try:
        async for frame in socket:
            broadcast(clients - {socket}, frame)
    finally:
        clients.discard(socket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(main(parser.parse_args().port))
