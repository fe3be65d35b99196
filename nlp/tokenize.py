"""Offset-keeping tokenisation of the original text, for extraction.

Sastrawi's output cannot be mapped back to the text, so extraction tokenises the original itself: words and
single punctuation marks, each with its character offsets, its lowercase form and whether it was capitalised.
A regular expression is enough for Indonesian and is ~10x faster than spaCy's rule-based tokenizer; the
tokens are handed to spaCy as a ready ``Doc`` for matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Tokens", "lower_words", "tokenize"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


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


def lower_words(text: str) -> list[str]:
    """``tokenize(text).lower`` without the offsets (for building gazetteers of many names quickly)."""
    low = text.lower()
    if len(low) == len(text):
        return _TOKEN.findall(low)
    return tokenize(text).lower
