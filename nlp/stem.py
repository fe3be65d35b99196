"""Sastrawi stemming behind a small adapter: one stemmer per process, a per-token cache, overrides, protection.

Sastrawi's own ``CachedStemmer.stem(text)`` re-normalises and re-splits every text; we stem one already
normalised token at a time, so the adapter calls the underlying ``Stemmer.stem_word`` and keeps its own cache.

Protection: proper names are not stemmed. Sastrawi reads "Bekasi" as "bekas" + "-i" and "Sengeti" as
"senget" + "-i"; agency words such as "Kependudukan" become "duduk". A token is left as it is when it is a
region or agency word of the lexicon, or when the normaliser marked it (capitalised inside a sentence).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pilah.nlp.lexicon import Lexicon

__all__ = ["Stemmer", "sastrawi_stemmer"]

_MAX_CACHE = 300_000


@cache
def sastrawi_stemmer() -> Any:
    """The process-wide Sastrawi stemmer (its root-word dictionary is loaded once, on first use)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer


class Stemmer:
    def __init__(self, lexicon: Lexicon) -> None:
        self._overrides = lexicon.stem_overrides
        self._protected = lexicon.protected
        self._cache: dict[str, str] = {}

    def stem(self, token: str, protected: bool = False) -> str:
        if protected or token in self._protected or token.startswith("__"):
            return token
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        stem = self._overrides.get(token)
        if stem is None:
            stem = sastrawi_stemmer().stem_word(token) if len(token) > 3 else token
            stem = stem or token
        if len(self._cache) >= _MAX_CACHE:
            # Typos and names make the vocabulary of a big archive open-ended; bound the memory.
            self._cache.clear()
        self._cache[token] = stem
        return stem
