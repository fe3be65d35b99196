"""Sastrawi stemming behind a small adapter: one stemmer per process, a per-token cache, overrides, protection.

Sastrawi's own ``CachedStemmer.stem(text)`` re-normalises and re-splits every text; we stem one already
normalised token at a time, so the adapter calls the underlying ``Stemmer.stem_word`` and keeps its own cache.

Guard: Sastrawi tries every affix rule on a word before giving up (92 us a new word on average in
``make bench`` at 2cb354e, BENCHMARKS.md), the words a stream of new complaints is full of (a cache helps
only with words seen before). It can change a word only when the word is a root, a root plus suffixes,
or starts with one of the prefixes di-, ke-, se-, me-, be-, pe-, te- around a root (or a root with a recoded
first letter or two).
:class:`AffixGuard` checks that shape with a few set lookups and skips the call otherwise. By design it also
skips Sastrawi's infix (-el-, -em-, -er-, -in-) and ku-/kau- rules, which mostly mangle names and loanwords
("Sinabang" -> "sabang", "Kutim" -> "tim", "relawan" -> "rawan", "kinerja" -> "kerja"). Those are the only
words whose stem differs from Sastrawi's in a sample of 2,500 corpus words (tested), as in a one-off check of
all 14,000 words of the corpus and idner-news-2k.

Protection: proper names are not stemmed. Sastrawi reads "Bekasi" as "bekas" + "-i" and "Sengeti" as
"senget" + "-i"; agency words such as "Kependudukan" become "duduk". A token is left as it is when it is a
region or agency word of the lexicon, or when the normaliser marked it (capitalised inside a sentence).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pilah.nlp.lexicon import Lexicon

__all__ = ["AffixGuard", "Stemmer", "affix_guard", "sastrawi_roots", "sastrawi_stemmer"]

_MAX_CACHE = 300_000


@cache
def sastrawi_stemmer() -> Any:
    """The process-wide Sastrawi stemmer (its root-word dictionary is loaded once, on first use)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer


@cache
def sastrawi_roots() -> frozenset[str]:
    """Sastrawi's dictionary of Indonesian root words."""
    words = sastrawi_stemmer().dictionary.words
    return frozenset(words.keys() if isinstance(words, dict) else words)


_PREFIXES = frozenset({"di", "ke", "se", "me", "be", "pe", "te"})
# Sastrawi's suffix layers, outermost first: particle, possessive, derivational (with its loanword suffixes).
_LAYERS = (("lah", "kah", "tah", "pun"), ("ku", "mu", "nya"), ("i", "kan", "an", "is", "isme", "isasi"))


def _suffix_ends(word: str) -> list[int]:
    """Every length at which the word could end once zero or more suffix layers are taken off."""
    ends = [len(word)]
    for layer in _LAYERS:
        ends += [e - len(s) for e in ends for s in layer if e - len(s) >= 2 and word.endswith(s, 0, e)]
    return ends


class AffixGuard:
    """Says whether Sastrawi could change a word (see the module docstring); built from its root words."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = frozenset(roots)
        # A prefix rule leaves the root, or the root without its first one or two letters (recoded: "meny-apu"
        # is "sapu", "meng-ambil" is "ambil", "peng-" + "ng"-root), as the rest of the word.
        self._cores = self.roots | {r[1:] for r in self.roots if len(r) > 1} | {r[2:] for r in self.roots if len(r) > 2}
        # No longer slice can be a core: bounds the scan below, which is otherwise quadratic in a word's length
        # (a 100,000-letter "word" in a 1 MB request took seconds).
        self._max_core = max(map(len, self._cores), default=0)

    def may_change(self, word: str) -> bool:
        roots = self.roots
        if word in roots or "-" in word:
            return word not in roots  # a root is returned as it is; hyphenated words take Sastrawi's plural path
        n = len(word)
        ends = _suffix_ends(word)
        if any(e < n and word[:e] in roots for e in ends):
            return True
        if word[:2] not in _PREFIXES:
            return False
        cores = self._cores
        longest = self._max_core
        return any(word[j:e] in cores for e in ends for j in range(max(2, e - longest), e))


@cache
def affix_guard() -> AffixGuard:
    """The process-wide guard over Sastrawi's root words (built once, like the stemmer)."""
    return AffixGuard(sastrawi_roots())


class Stemmer:
    def __init__(self, lexicon: Lexicon) -> None:
        self._overrides = lexicon.stem_overrides
        self._protected = lexicon.protected
        self._cache: dict[str, str] = {}

    def _sastrawi(self, token: str) -> str:
        if len(token) <= 3 or not affix_guard().may_change(token):
            return token
        return sastrawi_stemmer().stem_word(token) or token

    def stem(self, token: str, protected: bool = False) -> str:
        if protected or token in self._protected or token.startswith("__"):
            return token
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        stem = self._overrides.get(token)
        if stem is None:
            stem = self._sastrawi(token)
        if len(self._cache) >= _MAX_CACHE:
            # Typos and names make the vocabulary of a big archive open-ended; bound the memory.
            self._cache.clear()
        self._cache[token] = stem
        return stem
