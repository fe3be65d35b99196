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
from sklearn.base import BaseEstimator, TransformerMixin

from pilah.nlp.lexicon import Lexicon
from pilah.nlp.normalize import Normalizer
from pilah.nlp.stem import Stemmer

__all__ = ["NORMALIZED", "STEMMED", "TextPreprocessor"]

NORMALIZED = 0
STEMMED = 1


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

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
