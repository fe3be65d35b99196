"""Offset-keeping tokenisation of the original text, for extraction.

Sastrawi's output cannot be mapped back to the text, so extraction tokenises the original itself: words and
single punctuation marks, each with its character offsets, its lowercase form and whether it was capitalised.
A regular expression is enough for Indonesian and is ~10x faster than spaCy's rule-based tokenizer; the
tokens are handed to spaCy as a ready ``Doc`` for matching.

The tokens are those of ``re.finditer(r"\\w+|[^\\w\\s]", text)``. Building them match by match (a ``Match``
object, its span and three list comprehensions per token) cost ~150 us on a 400-word news article, a third of
extraction; ASCII text, nearly all of it, takes one of two faster paths with the same result:

- up to ~1,000 characters (a complaint): one ``findall`` of each token with the whitespace before it over the
  lowercase text; the lengths give the offsets through C-level ``map``/``accumulate`` (~30% less);
- longer text: a byte class per character (NumPy), token starts and ends where the class changes, and the
  lowercase tokens split from the text with a space put after each end (~50% less: the regular expression
  itself costs ~40 ns a character, the vector operations a fixed ~12 us).

Other text keeps the original per-match code: ``str.lower`` may change lengths ("İ") or depend on the
neighbours ("Σ" at the end of a word), so a token's lowercase form must be cut from the lowercased whole text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from operator import sub

import numpy as np

__all__ = ["Tokens", "lower_words", "tokenize"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
# A token with the whitespace before it: the matches tile the text up to its trailing whitespace.
_SPACED_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])")
_LONG = 1000  # characters from which the NumPy path is the faster (measured crossover ~750)
# Class of each ASCII byte: 0 whitespace (``\s``, as ``str.split`` sees it), 1 word character (``\w``), 2 other.
_CLASS = np.array(
    [0 if chr(b).isspace() else 1 if chr(b).isalnum() or chr(b) == "_" else 2 for b in range(128)] + [2] * 128,
    dtype=np.uint8,
)


@dataclass(frozen=True)
class Tokens:
    text: str
    starts: list[int]
    ends: list[int]
    lower: list[str]

    def __len__(self) -> int:
        return len(self.starts)

    def surface(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]

    def is_capitalised(self, i: int) -> bool:
        return self.text[self.starts[i]].isupper()

    def span_text(self, i: int, j: int) -> str:
        """Original text of tokens ``i`` .. ``j - 1``."""
        return self.text[self.starts[i] : self.ends[j - 1]]


def tokenize(text: str) -> Tokens:
    if text.isascii():
        if len(text) < _LONG:
            return _tokenize_ascii_short(text)
        return _tokenize_ascii_long(text)
    spans = [m.span() for m in _TOKEN.finditer(text)]
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    low = text.lower()
    # str.lower() keeps the length for the scripts of Indonesian text; fall back per token if it does not.
    if len(low) == len(text):
        lower = [low[s:e] for s, e in zip(starts, ends, strict=True)]
    else:
        lower = [text[s:e].lower() for s, e in zip(starts, ends, strict=True)]
    return Tokens(text, starts, ends, lower)


def _tokenize_ascii_short(text: str) -> Tokens:
    """ASCII text: lowercasing keeps every character's class and place, so the lowercase text is tokenised."""
    spaced = _SPACED_TOKEN.findall(text.lower())
    lower = list(map(str.lstrip, spaced))  # str.lstrip and the pattern's \s agree on what whitespace is
    ends = list(accumulate(map(len, spaced)))
    starts = list(map(sub, ends, map(len, lower)))
    return Tokens(text, starts, ends, lower)


def _tokenize_ascii_long(text: str) -> Tokens:
    """ASCII text: a token starts at a non-space character unless it continues a run of word characters."""
    low = text.lower().encode("ascii")
    n = len(low)
    codes = np.frombuffer(low, dtype=np.uint8)
    kind = np.zeros(n + 2, dtype=np.uint8)  # a space on either side
    kind[1:-1] = _CLASS[codes]
    word = kind == 1
    joined = word[1:] & word[:-1]  # joined[i]: characters i - 1 and i are both word characters
    solid = kind[1:-1] != 0
    starts = np.flatnonzero(solid > joined[:-1])
    last = np.flatnonzero(solid > joined[1:])  # the last character of each token
    # Lowercase tokens: a space after each token's last character, 0xFF (not ASCII) as filler, then split.
    spaced = np.full(2 * n, 0xFF, dtype=np.uint8)
    spaced[0::2] = codes
    spaced[2 * last + 1] = ord(" ")
    # bytes.translate deletes the filler ~10x faster than bytes.replace
    lower = spaced.tobytes().translate(None, b"\xff").decode("ascii").split()
    return Tokens(text, starts.tolist(), (last + 1).tolist(), lower)


def lower_words(text: str) -> list[str]:
    """``tokenize(text).lower`` without the offsets (for building gazetteers of many names quickly)."""
    low = text.lower()
    if len(low) == len(text):
        return _TOKEN.findall(low)
    return tokenize(text).lower
