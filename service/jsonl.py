"""Decoding one line of JSON Lines input, shared by `pilah analyze` and `pilah batch`."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["decode_json_line"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json_line(raw: bytes) -> tuple[Any, tuple[str, str] | None]:
    """``(value, None)`` for a line holding one JSON value, else ``(None, (code, message))``.

    Codes: ``invalid_utf8``, ``invalid_json`` (also for an empty line, NaN/Infinity, numbers too long to
    convert and nesting too deep to parse). A byte-order mark at the start is ignored.
    """
    try:
        line = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        return None, ("invalid_utf8", f"byte {exc.start} of the line is not UTF-8; re-encode the input as UTF-8")
    if not line.strip():
        return None, ("invalid_json", "empty line; send one JSON object per line")
    try:
        return json.loads(line, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        return None, ("invalid_json", f"invalid JSON ({exc.msg} at column {exc.colno})")
    except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, NaN, nesting 100,000 deep
        return None, ("invalid_json", f"invalid JSON ({str(exc)[:120]})")
