"""The y-protocols wire format, parsed strictly (input from any client), and the frames rooms
exchange across processes. No Django, no pycrdt: bytes in, bytes out.

A WebSocket binary message is one protocol message: varUint(type) then its body (lib0 encoding).
- 0 sync: varUint(sub) varByteArray(payload); sub 0 step 1 (state vector), 1 step 2 (update), 2 update.
- 1 awareness: varByteArray(varUint(n) n x (varUint(client) varUint(clock) varString(json))).
- 2 auth (server to client): varUint(0 = permission denied) varString(reason).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SYNC, AWARENESS, AUTH = 0, 1, 2
STEP1, STEP2, UPDATE = 0, 1, 2
MAX_UINT = 2**53 - 1  # lib0's varUint range (JavaScript's safe integers)
EMPTY_UPDATE = b"\x00\x00"
MAX_AWARENESS_ENTRIES = 16


class Malformed(ValueError):
    """A message that does not follow the protocol (its `kind` names what was wrong, for the log)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def uint(self) -> int:
        value = 0
        shift = 0
        for _ in range(8):  # 53 bits fit in 8 groups of 7
            if self.pos >= len(self.data):
                raise Malformed("truncated")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if value > MAX_UINT:
                    raise Malformed("number_too_large")
                return value
            shift += 7
        raise Malformed("number_too_large")

    def bytes(self) -> bytes:
        length = self.uint()
        end = self.pos + length
        if end > len(self.data):
            raise Malformed("truncated")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def string(self) -> str:
        try:
            return self.bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("bad_text") from None

    def end(self) -> None:
        if self.pos != len(self.data):
            raise Malformed("trailing_bytes")


@dataclass(frozen=True, slots=True)
class Sync:
    sub: int  # STEP1, STEP2 or UPDATE
    payload: bytes


@dataclass(frozen=True, slots=True)
class Awareness:
    payload: bytes  # the awareness update, decoded by awareness_entries()


def parse(frame: bytes) -> Sync | Awareness:
    reader = Reader(frame)
    kind = reader.uint()
    if kind == SYNC:
        sub = reader.uint()
        if sub not in (STEP1, STEP2, UPDATE):
            raise Malformed("unknown_sync_message")
        payload = reader.bytes()
        reader.end()
        return Sync(sub, payload)
    if kind == AWARENESS:
        payload = reader.bytes()
        reader.end()
        return Awareness(payload)
    raise Malformed("unknown_message_type")


def awareness_entries(payload: bytes) -> list[tuple[int, int, str]]:
    """(client id, clock, state JSON text) for each entry of an awareness update."""
    reader = Reader(payload)
    count = reader.uint()
    if count > MAX_AWARENESS_ENTRIES:
        raise Malformed("too_many_awareness_entries")
    entries = [(reader.uint(), reader.uint(), reader.string()) for _ in range(count)]
    reader.end()
    return entries


def state_vector(payload: bytes) -> dict[int, int]:
    reader = Reader(payload)
    count = reader.uint()
    if count > 100_000:
        raise Malformed("state_vector_too_large")
    vector = {}
    for _ in range(count):
        client = reader.uint()
        vector[client] = reader.uint()
    reader.end()
    return vector


# -- Encoding -----------------------------------------------------------------------------------


def uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return uint(len(data)) + data


def sync(sub: int, payload: bytes) -> bytes:
    return bytes((SYNC, sub)) + var_bytes(payload)


def awareness(entries: list[tuple[int, int, str]]) -> bytes:
    body = uint(len(entries)) + b"".join(
        uint(client) + uint(clock) + var_bytes(state.encode()) for client, clock, state in entries
    )
    return bytes((AWARENESS,)) + var_bytes(body)


def permission_denied(reason: str) -> bytes:
    return bytes((AUTH, 0)) + var_bytes(reason.encode())


# -- Between processes (Redis pub/sub on the recipe's collab topic) -----------------------------
# U: update  origin(8) first(8) last(8) y-protocols update message
# A: awareness  origin(8) y-protocols awareness message
# Q: query awareness  origin(8)  (a room that just loaded asks the others for their presence)
# C: control  JSON (deleted, access changed)

ORIGIN_BYTES = 8
NO_ORIGIN = bytes(ORIGIN_BYTES)
_SEQS = struct.Struct(">qq")


def topic(recipe_id: int) -> str:
    return f"collab.{int(recipe_id)}"


def remote_update(first: int, last: int, update: bytes, origin: bytes = NO_ORIGIN) -> bytes:
    return b"U" + origin + _SEQS.pack(first, last) + sync(UPDATE, update)


def remote_awareness(origin: bytes, message: bytes) -> bytes:
    return b"A" + origin + message


def remote_query(origin: bytes) -> bytes:
    return b"Q" + origin


def remote_control(payload: bytes) -> bytes:
    return b"C" + payload


@dataclass(frozen=True, slots=True)
class Remote:
    kind: str  # U, A, Q, C
    origin: bytes
    first: int = 0
    last: int = 0
    message: bytes = b""  # a y-protocols message for local sockets (U, A); JSON for C


def parse_remote(frame: bytes) -> Remote:
    kind = chr(frame[0])
    if kind == "C":
        return Remote("C", NO_ORIGIN, message=frame[1:])
    origin = frame[1 : 1 + ORIGIN_BYTES]
    rest = frame[1 + ORIGIN_BYTES :]
    if kind == "U":
        first, last = _SEQS.unpack_from(rest)
        return Remote("U", origin, first, last, rest[_SEQS.size :])
    return Remote(kind, origin, message=rest)
