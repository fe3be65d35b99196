"""Normalisation of Indonesian complaint and news text for the classifier.

``Normalizer.normalize(text)`` turns raw text into lowercase standard-Indonesian tokens:

1. Unicode NFKC (full-width digits, ligatures, non-breaking spaces).
2. Personal data replaced by placeholder tokens before anything else sees it: URLs, e-mail addresses,
   phone numbers and 16-digit NIK/KK numbers (also written with separators or partly masked). A
   complaint's personal data must reach neither the features nor a log.
3. Money amounts become ``__rupiah__`` and other numbers ``__num__`` (units such as "km" or "kwh" stay as
   words): "3 bulan" and "5 bulan" are the same evidence.
4. Elongated letters collapsed ("bangeeet" -> "banget"), reduplication reduced ("anak-anak", "anak2" -> "anak").
5. Informal forms mapped to standard ones from the slang table ("gk" -> "tidak", "udh" -> "sudah"), with
   context rules for ambiguous forms ("kk" is Kartu Keluarga unless it addresses someone: "kk admin").

Each token also carries a *protected* flag: it was capitalised inside a sentence in the original text (a name,
an agency word), so the stemmer must leave it alone. Extraction of agencies never uses this output: it works
on the original text and its offsets.

The PII patterns are our own regular expressions rather than ``lokal.Samaran``: Samaran detects 27 kinds of
personal data with labels and context and is the right tool to mask a log line, but at ~100x the cost; here
the four kinds above must be removed from every document on the hot path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pilah.nlp.lexicon import AmbiguousRule, Lexicon
from pilah.nlp.scan import ascii_view, find_all, marker, positions, repeated_letters, sub_at, sub_in_chunks

__all__ = ["NormalizedText", "Normalizer", "PLACEHOLDERS", "is_valid_unicode", "mask_personal_data"]

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
# Steps 3 and 4 in one pattern: reduplication ("anak2", "anak-anak"), money, numbers and elongated letters,
# told apart by the group that matched.
_SHAPE_PARTS = {
    "r2": r"(?P<r2>\b(?P<w2>[^\W\d_]{2,})2\b)",
    "rd": r"(?P<rd>\b(?P<wd>[^\W\d_]{2,})-(?P=wd)\b)",
    "rp": r"(?P<rp>\brp\.?\s?\d[\d.,]*(?:\s?(?:rb|ribu|k|jt|juta|m|miliar|milyar|t|triliun)\b)?"
    r"|\b\d[\d.,]*\s?(?:rb|ribu|jt|juta|jeti|miliar|milyar|triliun)\b)",
    "num": r"(?P<num>\d+(?:[.,]\d+)*)",
    "el": r"(?P<el>(?P<ch>[^\W\d_])(?P=ch){2,})",
}
_SHAPE = re.compile("|".join(_SHAPE_PARTS.values()), re.IGNORECASE)


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


# Scanning the whole text with _SHAPE cost ~650 us on a 400-word news article (its branches start with \b or
# a backreference, so `re` tries all of them at every position); it is tried only where a match can start
# (see pilah.nlp.scan). In the ASCII view of the text, "?" stands for any non-ASCII character.
_DIGIT_DASH = marker(b"0123456789-")
_DIGIT_DASH_OTHER = marker(b"0123456789-?")
_LETTER_RUN = re.compile(r"[^\W\d_]*")  # as the letters of "r2" and "rd", matched backwards from the 2 or hyphen
_QUESTION, _TWO, _DASH = ord("?"), ord("2"), ord("-")


def _shape_starts(text: str) -> list[int]:
    """Every offset where _SHAPE can match, and a few where it cannot.

    num and the second rp branch start at a digit; the first rp branch at "rp" (a digit follows within four
    characters); r2 and rd at the first of the letters before a "2" or hyphen (a match starts at a word
    boundary, so nowhere else in that run); el at a letter repeated three times. A non-ASCII character may be
    a digit or a letter that folds to its neighbours' case: the four offsets before it and itself are tried.
    """
    data = ascii_view(text)
    starts = find_all(data, b"rp") + repeated_letters(data)
    n = len(text)
    rev = ""
    for j in positions(data, _DIGIT_DASH if text.isascii() else _DIGIT_DASH_OTHER):
        c = data[j]
        if c == _QUESTION:
            starts.extend(range(max(j - 4, 0), j + 1))
            continue
        if c == _TWO or c == _DASH:
            rev = rev or text[::-1]  # text[j - 1] is rev[n - j]
            run = _LETTER_RUN.match(rev, n - j).end() - (n - j)  # type: ignore[union-attr]
            if run >= 2:
                starts.append(j - run)
        if c != _DASH:
            starts.append(j)
    starts.sort()
    return starts


def _reshape(text: str) -> str:
    return sub_at(_SHAPE, _shape, text, _shape_starts(text))


_SENTENCE_BREAK = re.compile(r"[.!?:;\n\"“”()]+")


def _words(text: str) -> tuple[list[str], list[bool]]:
    """The tokens of the text and whether each was capitalised inside a sentence (a name, an agency word).

    A capital counts as a name only inside a sentence: the first word of each sentence is skipped.
    """
    raw: list[str] = []
    caps: list[bool] = []
    for sentence in _SENTENCE_BREAK.split(text):
        words = _TOKEN.findall(sentence)
        if not words:
            continue
        raw.extend(words)
        caps.append(False)
        caps.extend([w[0].isupper() for w in words[1:]])
    return raw, caps


def _shouted(raw: list[str]) -> bool:
    """More than half of the tokens are words of capitals. All-capital tokens of any length are counted first,
    in C: their number bounds the exact count from above and settles most texts."""
    n = len(raw)
    return sum(map(str.isupper, raw)) * 2 > n and sum(1 for w in raw if len(w) > 1 and w.isupper()) * 2 > n


# _words on ASCII text whose only "_" are in placeholders (" __num__ "): tokens are then the runs of letters and
# "_", and sentences are split at the same characters, by one translate and str.split (~80 us less a news
# article than the two regular expressions, which have no literal to search for).
_ASCII_WORDS = str.maketrans(
    {c: c if c.isalpha() or c == "_" else "\n" if c in '.!?:;\n"()' else " " for c in map(chr, range(128))}
)


def _ascii_words(text: str) -> tuple[list[str], list[bool]]:
    raw: list[str] = []
    firsts: list[int] = []
    for sentence in text.translate(_ASCII_WORDS).split("\n"):
        words = sentence.split()
        if words:
            firsts.append(len(raw))
            raw += words
    caps = [w < "_" for w in raw]  # in ASCII a capital sorts before "_", small letters and "__num__" after it
    for i in firsts:
        caps[i] = False
    return raw, caps


_URL_HINTS = ("http", "www", ".id", ".com", ".net", ".org", ".co")
_URL_HINT_BYTES = tuple(h.encode() for h in _URL_HINTS)
# Digits in a run of 8 or more (with separators): the only places a NIK or phone number can be. The full
# patterns run on those spans alone, not over the whole text.
_LONG_NUMBER = re.compile(r"[+(]?\d[\d .()*xX-]{6,}[\dxX*]")
_DIGITS = marker(b"0123456789")
_DIGITS_OTHER = marker(b"0123456789?")


def _mask_numbers(match: re.Match[str]) -> str:
    span = match.group()
    span = _NIK.sub(" __nik__ ", span)
    return _PHONE.sub(" __phone__ ", span)


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, URLs, NIK/KK and phone numbers by placeholder tokens.

    Each pattern runs only where it can match (it cost ~130 us a news article over the whole text): e-mail
    addresses and URLs contain no whitespace, so only the whitespace-free runs holding an "@" or a URL hint
    are scanned (in the ASCII view, which keeps offsets; a run with a non-ASCII character, whose case folding
    the hints do not cover, is scanned too), and long numbers start at a digit or the "+" or "(" before it.
    """
    if "@" in text:
        text = sub_in_chunks(_EMAIL, " __email__ ", text, find_all(text, "@"))
    low = text.lower()
    if any(h in low for h in _URL_HINTS):
        data = ascii_view(text)
        anchors = [i for h in _URL_HINT_BYTES for i in find_all(data, h)]
        if not text.isascii():
            anchors += find_all(data, b"?")
        text = sub_in_chunks(_URL, " __url__ ", text, sorted(anchors))
    ascii_text = text.isascii()
    data = ascii_view(text)
    starts = [q for j in positions(data, _DIGITS if ascii_text else _DIGITS_OTHER) for q in (j - 1, j) if q >= 0]
    return sub_at(_LONG_NUMBER, _mask_numbers, text, starts)


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
        plain = "_" not in text  # then every "_" below is in a placeholder, which has a space on each side
        text = _reshape(mask_personal_data(text))
        raw, caps = _ascii_words(text) if plain and text.isascii() else _words(text)
        if _shouted(raw):  # SHOUTED TEXT: capitals say nothing about names here.
            caps = [False] * len(raw)
        return self._standardise(raw, caps)

    def _standardise(self, raw: list[str], caps: list[bool]) -> NormalizedText:
        slang = self._slang
        ambiguous = self._ambiguous
        special = self._special
        lowered = [t.lower() for t in raw]
        mapped = list(map(slang.get, lowered, lowered))  # one dictionary lookup per token
        if special.isdisjoint(lowered):  # most texts
            return NormalizedText(mapped, caps)
        tokens: list[str] = []
        protected: list[bool] = []
        done = 0
        for i in [i for i, low in enumerate(lowered) if low in special]:
            tokens += mapped[done:i]  # the tokens in between map one to one and keep their flag
            protected += caps[done:i]
            done = i + 1
            low = lowered[i]
            if low in ambiguous and not raw[i].isupper():
                low = self._resolve(low, lowered, i)
            else:
                low = mapped[i]
            if not low:
                continue  # a particle with no content ("wkwk", "dong")
            if " " in low:
                parts = low.split()
                tokens.extend(parts)
                protected.extend([False] * len(parts))
            else:
                tokens.append(low)
                protected.append(caps[i])
        tokens += mapped[done:]
        protected += caps[done:]
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
