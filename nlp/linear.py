"""The inference form of a fitted Pilah head: tf-idf word and character n-grams, then one linear layer.

Training fits a scikit-learn pipeline (``models/pipeline.py``); serving scores with this plain-NumPy copy of
its fitted numbers: the vocabularies, idf vectors, the weights of every one-vs-rest sector (F x L), the
intercepts and the sigmoid calibration (a, b). Why not the scikit-learn objects themselves: importing the
estimators takes 1.6 s and skops 2.5 s (``make bench``'s import table at 2cb354e), over the whole 1.5 s
cold-start budget of a CLI call or a new worker; and scikit-learn validates inputs once per sector per call
(~14 ms for one document). Fitting
stays scikit-learn's; this module only applies what it learned, with exactly its arithmetic:

- words: ``TfidfVectorizer(token_pattern=r"\\S+", lowercase=False, ngram_range=(1, 2), sublinear_tf=True)``
  on the stemmed column: counts of uni- and bigrams in the vocabulary, ``1 + log(count)``, times idf, then
  the block's L2 norm;
- characters: the same weighting over :class:`~pilah.nlp.features.CharNgrams` of the normalised column;
- scores: ``X @ W + c`` and the probability ``1 / (1 + exp(a * score + b))`` per sector.

Equality with scikit-learn's ``predict_proba`` is tested (``tests/models/test_train.py``).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from pilah.nlp.features import NORMALIZED, STEMMED, CharNgrams

__all__ = ["LinearHead"]

_MAX_CACHE = 500_000
# The per-word cache is bounded in bytes too: a word's entry grows with its length (about 13 bytes a letter),
# and a 1 MB request of long "words" would otherwise add ~8 MB that stays until 500,000 words are cached.
_MAX_CACHE_BYTES = 64 * 2**20


def _count_per_row(
    occurrences: np.ndarray, lengths: np.ndarray, bound: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of each row and how often they occur: (row, value, count), sorted by row then value.

    ``occurrences`` holds the rows one after another (``lengths``); ``bound``, when given, is larger than every
    value. Each row is sorted on its own, in one call over a padded grid, which is several times faster than
    sorting row-tagged keys for the whole batch; when padding would dominate (one long document among short
    ones) the keys are sorted instead. Values below 65,535 (a head of fewer features, as the default model's
    42,000) are sorted as 16-bit integers, which NumPy's stable sort orders by radix: ~14 us instead of ~95 us
    for the ~5,000 n-grams of a news article, with the same result.
    """
    n = len(lengths)
    total = len(occurrences)
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    width = int(lengths.max())
    if n * width <= 4 * total + 65_536:
        small = bound is not None and bound <= 65_535  # then the padding, 65,535, sorts after every value
        dtype = np.uint16 if small else np.int32
        grid = np.full((n, width), np.iinfo(dtype).max, dtype=dtype)
        filled = np.arange(width) < lengths[:, None]
        grid[filled] = occurrences
        grid.sort(axis=1, kind="stable" if small else "quicksort")  # stable on 16 bits: a radix sort
        values = grid[filled]
        row_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    else:
        keys = np.sort(np.repeat(np.arange(n, dtype=np.int64) << 32, lengths) + occurrences, kind="stable")
        row_of, values = keys >> 32, keys & 0xFFFFFFFF
    new = np.empty(total, dtype=bool)
    new[0] = True
    np.logical_or(values[1:] != values[:-1], row_of[1:] != row_of[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=total)
    return row_of[starts], values[starts].astype(np.int64), counts


class LinearHead:
    """Scores prepared rows ``(normalised text, stems)``; built from arrays, no I/O."""

    def __init__(
        self,
        *,
        word_terms: Sequence[str],
        word_idf: np.ndarray,
        char_terms: Sequence[str],
        char_idf: np.ndarray,
        weights: np.ndarray,
        intercepts: np.ndarray,
        sigmoid_a: np.ndarray,
        sigmoid_b: np.ndarray,
        char_ngram_range: tuple[int, int] = (3, 5),
    ) -> None:
        n_words, n_chars = len(word_terms), len(char_terms)
        per_label = [np.shape(v) for v in (intercepts, sigmoid_a, sigmoid_b)]
        if (
            weights.ndim != 2 or weights.shape[0] != n_words + n_chars or len(word_idf) != n_words
            or len(char_idf) != n_chars or any(shape != weights.shape[1:] for shape in per_label)
        ):
            raise ValueError(
                f"inconsistent head: {n_words} word and {n_chars} char terms, idf {len(word_idf)}/{len(char_idf)}, "
                f"weights {weights.shape}, intercepts and sigmoid a/b {per_label}"
            )
        self.word_terms = list(word_terms)
        self.char_terms = list(char_terms)
        self.n_words = n_words
        self.idf = np.concatenate([word_idf, char_idf]).astype(np.float32)
        # float32 as scikit-learn's tf-idf matrices: half the memory, and the gather below stays in cache.
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.intercepts = np.asarray(intercepts, dtype=np.float64)
        self.sigmoid_a = np.asarray(sigmoid_a, dtype=np.float64)
        self.sigmoid_b = np.asarray(sigmoid_b, dtype=np.float64)
        self.char_ngram_range = (int(char_ngram_range[0]), int(char_ngram_range[1]))
        self._word_index = {t: i for i, t in enumerate(self.word_terms)}
        self._char_index = {t: n_words + i for i, t in enumerate(self.char_terms)}
        self._grams = CharNgrams(self.char_ngram_range)
        self._word_cache: dict[str, bytes] = {}
        self._cache_bytes = 0

    @property
    def n_labels(self) -> int:
        return int(self.weights.shape[1])

    def _char_bytes(self, word: str) -> bytes:
        # A document's char_wb n-grams are its words' n-grams: each word's vocabulary indices are looked up
        # once per process and kept as packed int32, so a document's indices are one bytes join.
        index = self._char_index
        packed = array("i", [index[g] for g in self._grams._word_grams(word) if g in index]).tobytes()
        size = len(word) + len(packed)
        if len(self._word_cache) >= _MAX_CACHE or self._cache_bytes + size > _MAX_CACHE_BYTES:
            self._word_cache.clear()
            self._cache_bytes = 0
        self._word_cache[word] = packed
        self._cache_bytes += size  # approximate under threads; only the bound matters
        return packed

    def _index_bytes(self, normalized: str, stems: str) -> bytes:
        """Vocabulary indices (packed int32) of every n-gram occurrence in a row, duplicates kept."""
        index = self._word_index
        toks = stems.split()
        ids = [i for i in map(index.get, toks) if i is not None]
        ids += [i for i in map(index.get, map(" ".join, zip(toks, toks[1:], strict=False))) if i is not None]
        words = normalized.split()
        cached = list(map(self._word_cache.get, words))
        if None in cached:  # a word not seen yet (else no per-word Python step: ~20 us a news article)
            cached = [p if p is not None else self._char_bytes(w) for p, w in zip(cached, words, strict=True)]
        parts = cast(list[bytes], cached)
        parts.append(array("i", ids).tobytes())
        return b"".join(parts)

    def _tfidf(self, rows: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows' tf-idf vectors in CSR form: (row pointer, feature indices, values).

        The whole batch is counted, weighted and normalised in a few array operations: per-row NumPy calls
        cost more than the arithmetic for a complaint-sized text.
        """
        n = len(rows)
        chunks = [self._index_bytes(row[NORMALIZED], row[STEMMED]) for row in rows]
        occurrences = np.frombuffer(b"".join(chunks), dtype=np.int32)
        lengths = np.fromiter((len(c) // 4 for c in chunks), dtype=np.int64, count=n)
        row, feature, counts = _count_per_row(occurrences, lengths, len(self.idf))
        vals = (1.0 + np.log(counts)) * self.idf[feature]
        block = 2 * row + (feature >= self.n_words)  # each row's words and chars are normalised apart
        norms = np.sqrt(np.bincount(block, weights=vals * vals, minlength=2 * n))
        norms[norms == 0.0] = 1.0
        vals /= norms[block]
        indptr = np.searchsorted(row, np.arange(n + 1))
        return indptr, feature, vals.astype(np.float32)

    def features(self, normalized: str, stems: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's tf-idf vector as (sorted feature indices, values)."""
        _, feature, vals = self._tfidf([(normalized, stems)])
        return feature, vals

    def decision(self, rows: Any) -> np.ndarray:
        """Linear scores (n x L) of prepared rows (an (n, 2) array or a sequence of pairs)."""
        indptr, feature, vals = self._tfidf(rows)
        out = np.zeros((len(rows), self.n_labels))
        W = self.weights
        for r in range(len(rows)):
            s, e = indptr[r], indptr[r + 1]
            if e > s:
                out[r] = vals[s:e] @ W.take(feature[s:e], axis=0)
        out += self.intercepts
        return out

    def proba(self, rows: Any) -> np.ndarray:
        """Calibrated per-sector probabilities (n x L)."""
        return 1.0 / (1.0 + np.exp(self.sigmoid_a * self.decision(rows) + self.sigmoid_b))

    def contributions(self, row: Any, label: int) -> list[tuple[str, str, float]]:
        """(feature kind, term, tf-idf x weight) of one row for one label, largest first, positive only."""
        idx, vals = self.features(row[NORMALIZED], row[STEMMED])
        contrib = vals * self.weights[idx, label]
        out = []
        for k in np.argsort(-contrib, kind="stable"):
            if contrib[k] <= 0:
                break
            i = int(idx[k])
            if i < self.n_words:
                kind, term = "words", self.word_terms[i]
            else:
                kind, term = "chars", self.char_terms[i - self.n_words]
            out.append((kind, term, float(contrib[k])))
        return out
