"""The text transformer that opens every Pilah pipeline, so training and serving share one preprocessing path.

``TextPreprocessor().transform(texts)`` returns an ``(n, 2)`` object array:

- column 0 (``NORMALIZED``): the normalised text, for character n-grams (robust to typos);
- column 1 (``STEMMED``): stemmed content words without stop words, for word n-grams.

The estimator follows scikit-learn's contract: ``__init__`` only stores parameters (plain builtin data, so that
the fitted pipeline persists with skops without custom types), ``fit`` learns nothing and returns ``self``.
The normaliser, stemmer and stem cache are rebuilt lazily in each process and never persisted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from pilah.nlp.lexicon import Lexicon
from pilah.nlp.normalize import Normalizer
from pilah.nlp.stem import Stemmer

__all__ = ["NORMALIZED", "STEMMED", "CharNgrams", "CharTfidfVectorizer", "TextPreprocessor", "compose_text"]

NORMALIZED = 0
STEMMED = 1


def compose_text(title: str | None, text: str) -> str:
    """What the classifier reads for a document: headline and body. Training and serving both call this."""
    return f"{title}.\n{text}" if title else text


class TextPreprocessor(TransformerMixin, BaseEstimator):
    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        self.lexicon = lexicon

    def fit(self, X: Iterable[str], y: Any = None) -> TextPreprocessor:
        return self

    def _runtime(self) -> tuple[Normalizer, Stemmer, frozenset[str]]:
        rt = self.__dict__.get("_rt")
        if rt is None:
            lex = Lexicon.from_params(self.lexicon or {})
            rt = (Normalizer(lex), Stemmer(lex), lex.stopwords)
            self.__dict__["_rt"] = rt
        return rt

    def prepare(self, text: str) -> tuple[str, str]:
        """Normalised and stemmed forms of one text (the row ``transform`` produces for it)."""
        normalizer, stemmer, stopwords = self._runtime()
        norm = normalizer.normalize(text)
        stem = stemmer.stem
        stems = [
            stem(tok, prot)
            for tok, prot in zip(norm.tokens, norm.protected, strict=True)
            if len(tok) > 1 and tok not in stopwords
        ]
        return " ".join(norm.tokens), " ".join(stems)

    def transform(self, X: Iterable[str]) -> np.ndarray:
        rows = [self.prepare(text) for text in X]
        out = np.empty((len(rows), 2), dtype=object)
        for i, (norm, stems) in enumerate(rows):
            out[i, NORMALIZED] = norm
            out[i, STEMMED] = stems
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_rt", None)
        return state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


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


class CharTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` over :class:`CharNgrams` with a faster ``transform``.

    Fitting is scikit-learn's own. At transform time scikit-learn looks every n-gram of every document up
    in the vocabulary in a Python loop (~600 lookups for a 50-word complaint); since a document's n-grams are
    its words' n-grams, we cache each word's vocabulary indices and let SciPy count them. The counts, and so
    the tf-idf matrix, are identical (tested against the parent class).
    """

    def _word_indices(self, word: str) -> list[int]:
        cache: dict[str, list[int]] | None = self.__dict__.get("_index_cache")
        if cache is None:
            cache = self.__dict__["_index_cache"] = {}
        hit = cache.get(word)
        if hit is None:
            vocab = self.vocabulary_
            hit = [vocab[g] for g in self.analyzer._word_grams(word) if g in vocab]
            if len(cache) < 500_000:
                cache[word] = hit
        return hit

    def transform(self, raw_documents: Any) -> sp.csr_matrix:
        if not isinstance(self.analyzer, CharNgrams):
            return super().transform(raw_documents)
        indices: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            for word in doc.split():
                indices.extend(self._word_indices(word))
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (np.ones(len(indices), dtype=self.dtype), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(indptr) - 1, len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        return self._tfidf.transform(counts, copy=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_index_cache", None)
        return state
