"""The normaliser as it was before the candidate-position rewrite (commit 36456b2), kept as the reference.

``tests/nlp/test_normalize_reference.py`` checks that :mod:`pilah.nlp.normalize` gives exactly this module's
output (tokens and protected flags) for every input. Not imported by Pilah itself; do not edit to follow
changes: it is the behaviour the optimised code must keep.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pilah.nlp.lexicon import AmbiguousRule, Lexicon

__all__ = ["NormalizedText", "Normalizer", "mask_personal_data", "prepare"]

PLACEHOLDERS = ("__url__", "__email__", "__phone__", "__nik__", "__rupiah__", "__num__")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:go\.id|co\.id|ac\.id|or\.id|sch\.id|web\.id|com|id|net|org)(?:/\S*)?",
    re.IGNORECASE,
)
# 16 digits, optionally grouped by 4 with spaces, dots or dashes; or a partly masked number (1505xxxxxxxx).
_NIK = re.compile(
    r"(?<![\d])\d{4}[ .-]?\d{4}[ .-]?\d{4}[ .-]?\d{4}(?![\d])|(?<!\w)\d{2,8}[xX*]{4,14}\d{0,4}(?!\w)"
)
# Mobile (08.., +628.., 628..) and landline numbers ((021) 555-1234, 0741 123456).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+62|62|0)[ -]?8\d{1,3}(?:[ .-]?\d{2,5}){1,3}(?!\d)"
    r"|(?<![\w])\(?0\d{2,3}\)?[ .-]?\d{3,4}[ .-]?\d{2,5}(?!\d)"
)
_TOKEN = re.compile(r"__[a-z]+__|[^\W\d_]+")
_DIGIT = re.compile(r"\d")
# Steps 3 and 4 in one scan of the text (each separate pass cost ~100 us on a news article): reduplication
# ("anak2", "anak-anak"), money, numbers and elongated letters, told apart by the group that matched.
_SHAPE_PARTS = {
    "r2": r"(?P<r2>\b(?P<w2>[^\W\d_]{2,})2\b)",
    "rd": r"(?P<rd>\b(?P<wd>[^\W\d_]{2,})-(?P=wd)\b)",
    "rp": r"(?P<rp>\brp\.?\s?\d[\d.,]*(?:\s?(?:rb|ribu|k|jt|juta|m|miliar|milyar|t|triliun)\b)?"
    r"|\b\d[\d.,]*\s?(?:rb|ribu|jt|juta|jeti|miliar|milyar|triliun)\b)",
    "num": r"(?P<num>\d+(?:[.,]\d+)*)",
    "el": r"(?P<el>(?P<ch>[^\W\d_])(?P=ch){2,})",
}
_NEEDS_DIGIT = ("r2", "rp", "num")


def _shapes_pattern(digit: bool, dash: bool, elongated: bool) -> re.Pattern[str] | None:
    """The scan restricted to the alternatives that can match: r2, rp and num need a digit, rd a hyphen, el a
    letter three times in a row. Most texts need one or two of the five, and the full alternation costs
    ~80 us on a complaint; the order of the alternatives (and so every result) stays the same."""
    parts = [
        p for name, p in _SHAPE_PARTS.items()
        if (digit if name in _NEEDS_DIGIT else dash if name == "rd" else elongated)
    ]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


_SHAPES = {(d, h, e): _shapes_pattern(d, h, e) for d in (False, True) for h in (False, True) for e in (False, True)}
_ELONGATED = re.compile(r"([^\W\d_])\1\1", re.IGNORECASE)  # as the backreference of "el"


def _shape(m: re.Match[str]) -> str:
    kind = m.lastgroup  # the outer group of the alternative that matched closes last
    if kind == "r2":
        return m.group("w2")
    if kind == "rd":
        return m.group("wd")
    if kind == "rp":
        return " __rupiah__ "
    if kind == "num":
        return " __num__ "
    return m.group("ch")


def _reshape(text: str) -> str:
    pattern = _SHAPES[(_DIGIT.search(text) is not None, "-" in text, _ELONGATED.search(text) is not None)]
    return pattern.sub(_shape, text) if pattern is not None else text


_SENTENCE_BREAK = re.compile(r"[.!?:;\n\"“”()]+")


_URL_HINTS = ("http", "www", ".id", ".com", ".net", ".org", ".co")
# Digits in a run of 8 or more (with separators): the only places a NIK or phone number can be. The full
# patterns run on those spans alone, not over the whole text.
_LONG_NUMBER = re.compile(r"[+(]?\d[\d .()*xX-]{6,}[\dxX*]")


def _mask_numbers(match: re.Match[str]) -> str:
    span = match.group()
    span = _NIK.sub(" __nik__ ", span)
    return _PHONE.sub(" __phone__ ", span)


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, URLs, NIK/KK and phone numbers by placeholder tokens."""
    if "@" in text:
        text = _EMAIL.sub(" __email__ ", text)
    low = text.lower()
    if any(h in low for h in _URL_HINTS):
        text = _URL.sub(" __url__ ", text)
    if _DIGIT.search(text):
        text = _LONG_NUMBER.sub(_mask_numbers, text)
    return text


def is_valid_unicode(value: str) -> bool:
    """False for text with unpaired surrogates ("\\ud800" escapes): not Unicode text, cannot be encoded."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class NormalizedText:
    tokens: list[str]
    protected: list[bool]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


class Normalizer:
    """Stateless apart from its lexicon; safe to share between threads."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._slang = lexicon.slang
        self._ambiguous: dict[str, list[AmbiguousRule]] = {}
        for rule in lexicon.ambiguous:
            self._ambiguous.setdefault(rule.token, []).append(rule)
        # Tokens that need more than a one-to-one lookup: context rules, dropped particles, multi-word forms.
        self._special = frozenset(self._ambiguous) | {k for k, v in self._slang.items() if not v or " " in v}

    def normalize(self, text: str) -> NormalizedText:
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        text = mask_personal_data(text)
        text = _reshape(text)

        raw: list[str] = []
        caps: list[bool] = []
        # A capital counts as a name only inside a sentence: the first word of each sentence is skipped.
        for sentence in _SENTENCE_BREAK.split(text):
            words = _TOKEN.findall(sentence)
            if not words:
                continue
            raw.extend(words)
            caps.append(False)
            caps.extend([w[0].isupper() for w in words[1:]])
        if sum(1 for w in raw if len(w) > 1 and w.isupper()) * 2 > len(raw):
            # SHOUTED TEXT: capitals say nothing about names here.
            caps = [False] * len(raw)
        return self._standardise(raw, caps)

    def _standardise(self, raw: list[str], caps: list[bool]) -> NormalizedText:
        slang = self._slang
        ambiguous = self._ambiguous
        lowered = [t.lower() for t in raw]
        if self._special.isdisjoint(lowered):  # most texts: one dictionary lookup per token
            return NormalizedText([slang.get(low, low) for low in lowered], caps)
        tokens: list[str] = []
        protected: list[bool] = []
        for i, low in enumerate(lowered):
            if low in ambiguous and not raw[i].isupper():
                low = self._resolve(low, lowered, i)
            else:
                low = slang.get(low, low)
            if not low:
                continue  # a particle with no content ("wkwk", "dong")
            if " " in low:
                parts = low.split()
                tokens.extend(parts)
                protected.extend([False] * len(parts))
            else:
                tokens.append(low)
                protected.append(caps[i])
        return NormalizedText(tokens, protected)

    def _resolve(self, low: str, lowered: list[str], i: int) -> str:
        prev = lowered[i - 1] if i > 0 else ""
        nxt = lowered[i + 1] if i + 1 < len(lowered) else ""
        rules = self._ambiguous[low]
        for rule in rules:
            if (rule.where in ("prev", "both") and prev in rule.context) or (
                rule.where in ("next", "both") and nxt in rule.context
            ):
                return rule.alternative
        return rules[0].default


def prepare(normalizer: Normalizer, stemmer: Any, stopwords: frozenset[str], text: str) -> tuple[str, str]:
    """``pilah.nlp.features.Preprocessor.prepare`` as it was, on the reference normaliser."""
    norm = normalizer.normalize(text)
    stem = stemmer.stem
    stems = [
        stem(tok, prot)
        for tok, prot in zip(norm.tokens, norm.protected, strict=True)
        if len(tok) > 1 and tok not in stopwords
    ]
    return " ".join(norm.tokens), " ".join(stems)
