"""Decoding one line of JSON Lines input, shared by every reader: training files, `pilah analyze` and `pilah batch`."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["decode_json_line"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json_line(raw: bytes, line_no: int | None = None) -> tuple[Any, tuple[str, str] | None]:
    """``(value, None)`` for a line holding one JSON value, else ``(None, (code, message))``.

    Codes: ``invalid_utf8``, ``invalid_json`` (also for an empty line, NaN/Infinity, numbers too long to
    convert and nesting too deep to parse). A byte-order mark at the start is ignored. Syntax errors give the
    1-based character column within the line, and its number when ``line_no`` is given.
    """
    try:
        # Without its line break: parsed with it, a line that ends too early is reported at column 1 of the
        # next line instead of where it stops.
        line = raw.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return None, ("invalid_utf8", f"byte {exc.start} of the line is not UTF-8; re-encode the input as UTF-8")
    if not line.strip():
        return None, ("invalid_json", "empty line; send one JSON object per line")
    try:
        return json.loads(line, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        where = f"line {line_no}, column {exc.colno}" if line_no is not None else f"column {exc.colno}"
        return None, ("invalid_json", f"invalid JSON ({exc.msg} at {where})")
    except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, NaN, nesting 100,000 deep
        return None, ("invalid_json", f"invalid JSON ({str(exc)[:120]})")
