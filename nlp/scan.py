"""Regular-expression substitution run only where a match can start, with the result of a whole-text ``sub``.

Python's ``re`` tries a pattern at every position of the text unless the pattern begins with a literal: an
alternation of ``\\b``-anchored branches or a backreference costs ~130-220 ns a character, ~650 us on a
400-word news article, although the few matches sit at digits, hyphens and repeated letters. Those
positions are found here with byte-level searches (``bytes.find``, ``translate``, one NumPy comparison),
which run at memory speed, and the pattern is tried at them alone.

:func:`sub_at` gives exactly ``pattern.sub(repl, text)`` when every position where the pattern matches is
among the candidates: ``re.sub`` scans left to right, tries the pattern at each position and resumes after
each match, and ``pattern.match(text, pos)`` sees the characters before ``pos`` (``\\b``, lookbehinds) just
as the scan does. None of the patterns used with it can match the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import AnyStr

import numpy as np

__all__ = ["ascii_view", "find_all", "marker", "positions", "repeated_letters", "sub_at", "sub_in_chunks"]


# Trying the pattern at a candidate costs a few times a step of the whole-text scan: past one candidate in
# 8 characters (a text of numbers, or of non-ASCII letters) the plain scan is used.
_DENSE = 8


def sub_at(pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str, starts: Sequence[int]) -> str:
    """``pattern.sub(repl, text)`` when every match starts at one of ``starts`` (ascending; extra ones are fine)."""
    if len(starts) * _DENSE > len(text):
        return pattern.sub(repl, text)
    parts: list[str] = []
    last = 0
    for q in starts:
        if q < last:
            continue  # inside the previous match, which the scan skipped over
        m = pattern.match(text, q)
        if m is not None:
            parts.append(text[last:q])
            parts.append(repl(m))
            last = m.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_NON_SPACE = re.compile(r"\S*")


def sub_in_chunks(pattern: re.Pattern[str], repl: str, text: str, anchors: Iterable[int]) -> str:
    """``pattern.sub(repl, text)`` for a pattern whose matches never contain whitespace and never look past it
    (``\\b`` sees whitespace and the ends of the text alike), when every match lies in a whitespace-free run of
    the text that contains one of ``anchors`` (ascending offsets): only those runs are scanned."""
    n = len(text)
    rev = text[::-1]  # the run's start is found by matching backwards: text[h - 1] is rev[n - h]
    parts: list[str] = []
    last = 0
    for h in anchors:
        if h < last:
            continue  # in the run just done
        # never before the run done last (an anchor on a whitespace character gives the run ending there)
        start = max(h - (_NON_SPACE.match(rev, n - h).end() - (n - h)), last)  # type: ignore[union-attr]
        end = _NON_SPACE.match(text, h).end()  # type: ignore[union-attr]
        parts.append(text[last:start])
        parts.append(pattern.sub(repl, text[start:end]))
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def ascii_view(text: str) -> bytes:
    """The text as one byte a character, ASCII letters lowercased and every other character as ``?``: offsets
    stay those of the text, and byte searches can look for ASCII candidates."""
    return text.encode("ascii", "replace").lower()


def marker(chars: bytes) -> bytes:
    """A ``bytes.translate`` table that maps ``chars`` to 0 and every other byte to 1 (see :func:`positions`)."""
    return bytes(0 if b in chars else 1 for b in range(256))


def positions(data: bytes, table: bytes) -> list[int]:
    """Offsets of the bytes of ``data`` that ``table`` (from :func:`marker`) marks, ascending."""
    marked = data.translate(table)
    out = []
    i = marked.find(0)
    while i >= 0:
        out.append(i)
        i = marked.find(0, i + 1)
    return out


def find_all(data: AnyStr, needle: AnyStr) -> list[int]:
    """Offsets of every occurrence of ``needle`` in ``data`` (overlapping ones too), ascending."""
    out = []
    i = data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out


def repeated_letters(data: bytes) -> list[int]:
    """Offsets where a lowercase ASCII letter of ``data`` (an :func:`ascii_view`) occurs three times in a row.

    One vectorised comparison of the text with itself shifted by one: a Python loop over the characters,
    or a regular expression with a backreference, costs 25-80 us on a news article.
    """
    codes = np.frombuffer(data, dtype=np.uint8)
    same = codes[1:] == codes[:-1]
    letter = (codes[:-2] >= ord("a")) & (codes[:-2] <= ord("z"))
    out: list[int] = np.flatnonzero(same[1:] & same[:-1] & letter).tolist()
    return out
