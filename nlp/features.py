"""The one preprocessing path of training and serving: a text becomes (normalised text, stems).

``Preprocessor.prepare(text)`` gives the row every Pilah model reads:

- column 0 (``NORMALIZED``): the normalised text, for character n-grams (robust to typos);
- column 1 (``STEMMED``): stemmed content words without stop words, for word n-grams.

Training wraps it in a scikit-learn transformer (``pilah.models.pipeline.TextPreprocessor``), serving calls it
directly; both get the same rows. Also here: :class:`CharNgrams`, the character n-grams of both.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress
from typing import Any

from pilah.nlp.lexicon import Lexicon
from pilah.nlp.normalize import Normalizer
from pilah.nlp.stem import Stemmer

__all__ = ["NORMALIZED", "STEMMED", "CharNgrams", "Preprocessor", "compose_text"]

NORMALIZED = 0
STEMMED = 1


def compose_text(title: str | None, text: str) -> str:
    """What the classifier reads for a document: headline and body. Training and serving both call this."""
    return f"{title}.\n{text}" if title else text


# Bound of the per-token memo below, as the stemmer's cache: typos and names make a big archive's vocabulary
# open-ended.
_MAX_MEMO = 300_000


class Preprocessor:
    """Normaliser + stemmer + stop words of one lexicon (``Lexicon.to_params()`` data), built once."""

    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        lex = Lexicon.from_params(lexicon or {})
        self.normalizer = Normalizer(lex)
        self.stemmer = Stemmer(lex)
        self.stopwords = lex.stopwords
        # Each token's fate is memoised: its stem, or "" when it is dropped (one letter, a stop word). Calling the
        # stemmer token by token cost ~100 us a news article. "" would be ambiguous with a stem overridden to
        # "" (none in the shipped lexicon): such a lexicon takes the token-by-token loop.
        self._memo: dict[str, str] | None = {} if all(lex.stem_overrides.values()) else None

    def _stem_or_drop(self, token: str) -> str:
        """The stem of an unprotected token, or "" when the token is not a content word."""
        return self.stemmer.stem(token) if len(token) > 1 and token not in self.stopwords else ""

    def prepare(self, text: str) -> tuple[str, str]:
        """Normalised and stemmed forms of one text."""
        norm = self.normalizer.normalize(text)
        tokens = norm.tokens
        memo = self._memo
        if memo is None:
            stem = self.stemmer.stem
            stopwords = self.stopwords
            words = [
                stem(tok, prot)
                for tok, prot in zip(tokens, norm.protected, strict=True)
                if len(tok) > 1 and tok not in stopwords
            ]
            return " ".join(tokens), " ".join(words)
        stems = list(map(memo.get, tokens))
        if None in stems:
            new = {tok: self._stem_or_drop(tok) for tok, s in zip(tokens, stems, strict=True) if s is None}
            stems = list(map(new.get, tokens, stems))
            if len(memo) >= _MAX_MEMO:
                memo.clear()
            memo.update(new)
        for i in compress(range(len(tokens)), norm.protected):
            if stems[i]:
                stems[i] = tokens[i]  # a protected content word is its own stem
        return " ".join(tokens), " ".join(filter(None, stems))

    def prepare_all(self, texts: Iterable[str]) -> list[tuple[str, str]]:
        return [self.prepare(text) for text in texts]


class CharNgrams:
    """Character n-grams inside word boundaries, as scikit-learn's ``analyzer="char_wb"``, cached per word.

    scikit-learn builds the n-grams of every word of every document anew in Python, which made character
    features 60% of the classifier's time. A document's ``char_wb`` n-grams are the concatenation of its
    words' n-grams, so caching them per word gives identical features several times faster. Used as the
    ``analyzer`` of a ``TfidfVectorizer``, which still does the counting and weighting.
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), max_cache: int = 500_000) -> None:
        self.ngram_range = tuple(ngram_range)
        self.max_cache = max_cache

    def _word_grams(self, word: str) -> tuple[str, ...]:
        min_n, max_n = self.ngram_range
        w = f" {word} "
        w_len = len(w)
        grams: list[str] = []
        for n in range(min_n, max_n + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n gives one n-gram, once
                break
        return tuple(grams)

    def __call__(self, doc: str) -> list[str]:
        cache: dict[str, tuple[str, ...]] | None = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__["_cache"] = {}
        out: list[str] = []
        for word in doc.split():
            grams = cache.get(word)
            if grams is None:
                grams = self._word_grams(word)
                if len(cache) < self.max_cache:
                    cache[word] = grams
            out.extend(grams)
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state
