"""Strict parsing of JSON messages from sockets: a typed result or a clear error, never a crash."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_FRAME_BYTES = 16 * 1024
MAX_DEPTH = 32


@dataclass(frozen=True)
class MessageError(Exception):
    code: str
    message: str
    field: str | None = None  # the input field at fault, when there is one

    def as_event(self, *, client_id: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.field is not None:
            event["field"] = self.field
        if client_id is not None:
            event["client_id"] = client_id
        return event


def _reject_constant(name: str) -> float:
    raise MessageError("invalid_json", f"{name} is not a valid JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MessageError("invalid_json", f"number {text[:20]} is out of range")
    return value


def _nesting_depth(text: str) -> int:
    """Deepest [ / { nesting outside strings: checked before json.loads ever recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json_object(text: str | None, *, max_bytes: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Parse one client frame into a dict with a string "type", or raise MessageError."""
    payload = parse_json_dict(text, max_bytes=max_bytes)
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        raise MessageError("invalid_message", 'a message needs a string "type"')
    return payload


def parse_json_dict(text: str | None, *, max_bytes: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Parse untrusted JSON text that must be an object, or raise MessageError."""
    if text is None:
        raise MessageError("binary_not_supported", "send JSON text frames, not binary ones")
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise MessageError("frame_too_large", f"a message may be at most {max_bytes} bytes")
    # A RecursionError inside the C decoder can leave CPython 3.11's recursion bookkeeping
    # skewed (later compile() calls fail), so deep input never reaches json.loads. Counting
    # brackets is the fast path; only bracket-heavy frames pay for the exact scan.
    if text.count("[") + text.count("{") > MAX_DEPTH and _nesting_depth(text) > MAX_DEPTH:
        raise MessageError("invalid_json", f"the message is nested deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise MessageError("invalid_json", "the message is nested too deeply") from None
    except ValueError:
        raise MessageError("invalid_json", "the message is not valid JSON") from None
    if not isinstance(payload, dict):
        raise MessageError("invalid_message", "a message must be a JSON object")
    return payload


def require_field(payload: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    """Return payload[name] if it has the right type (bools are not ints)."""
    if name not in payload or payload[name] is None:
        if optional:
            return None
        raise MessageError("invalid_message", f'"{name}" is required')
    value = payload[name]
    if isinstance(value, bool) and kind is not bool:
        raise MessageError("invalid_message", f'"{name}" must be {kind.__name__}')
    if not isinstance(value, kind):
        raise MessageError("invalid_message", f'"{name}" must be {kind.__name__}')
    return value
