"""The scikit-learn side of a Pilah model: the training pipeline and the export of its fitted numbers.

``TextPreprocessor -> ColumnTransformer(word n-grams on stems, char n-grams on normalised text) -> one-vs-rest
calibrated linear SVM``. Each sector gets an independent calibrated probability, so a text can carry several
sectors. Serving does not import this module: :func:`linear_head` copies the fitted numbers into a
:class:`~pilah.nlp.linear.LinearHead`, which scores with the same arithmetic in plain NumPy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from pilah.models.persistence import vocabulary_terms
from pilah.nlp.errors import ModelError
from pilah.nlp.features import NORMALIZED, STEMMED, CharNgrams, Preprocessor
from pilah.nlp.linear import LinearHead

__all__ = [
    "CALIBRATION_FOLDS", "TextPreprocessor", "build_head", "build_pipeline", "linear_head",
]

WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
# Each sector's calibration is cross-validated: every fit needs this many positive and negative texts per sector.
CALIBRATION_FOLDS = 3


class TextPreprocessor(TransformerMixin, BaseEstimator):
    """:class:`~pilah.nlp.features.Preprocessor` as the first step of a scikit-learn pipeline.

    ``__init__`` only stores parameters (plain builtin data, so that the fitted pipeline persists with skops
    without custom types), ``fit`` learns nothing. The preprocessor is rebuilt lazily in each process.
    """

    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        self.lexicon = lexicon

    def fit(self, X: Iterable[str], y: Any = None) -> TextPreprocessor:
        return self

    def _preprocessor(self) -> Preprocessor:
        prep = self.__dict__.get("_prep")
        if prep is None:
            prep = self.__dict__["_prep"] = Preprocessor(self.lexicon)
        return prep

    def transform(self, X: Iterable[str]) -> np.ndarray:
        rows = self._preprocessor().prepare_all(X)
        out = np.empty((len(rows), 2), dtype=object)
        for i, (norm, stems) in enumerate(rows):
            out[i, NORMALIZED] = norm
            out[i, STEMMED] = stems
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_prep", None)
        return state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def build_head(*, seed: int, C: float = 0.5) -> Pipeline:
    """Features and classifier: everything after the text preprocessor (fitted per CV fold).

    :func:`linear_head` depends on these settings (sublinear tf, L2 norm, the analyzers): change them together.
    """
    features = ColumnTransformer(
        [
            (
                "words",
                TfidfVectorizer(
                    token_pattern=r"\S+", lowercase=False, ngram_range=WORD_NGRAMS, min_df=2,
                    sublinear_tf=True, dtype=np.float32,
                ),
                STEMMED,
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer=CharNgrams(CHAR_NGRAMS), lowercase=False, min_df=3,
                    sublinear_tf=True, max_features=150_000, dtype=np.float32,
                ),
                NORMALIZED,
            ),
        ],
        sparse_threshold=1.0,
    )
    svm = LinearSVC(C=C, class_weight="balanced", random_state=seed)
    clf = OneVsRestClassifier(CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False))
    return Pipeline([("features", features), ("clf", clf)])


def build_pipeline(lexicon: dict[str, Any], *, seed: int, C: float = 0.5) -> Pipeline:
    head = build_head(seed=seed, C=C)
    return Pipeline([("prep", TextPreprocessor(lexicon=lexicon)), *head.steps])


def linear_head(pipeline: Pipeline) -> LinearHead:
    """The fitted head as one linear layer (vocabularies, idf, weights F x L, intercepts, sigmoid a and b)."""
    try:
        features = pipeline.named_steps["features"]
        vecs = {name: tr for name, tr, _ in features.transformers_}
        words, chars = vecs["words"], vecs["chars"]
        for vec in (words, chars):
            if not (vec.sublinear_tf and vec.norm == "l2" and vec.use_idf):
                raise ModelError(f"unsupported vectoriser settings: {vec}")
        if tuple(words.ngram_range) != WORD_NGRAMS or words.analyzer != "word" or words.token_pattern != r"\S+":
            raise ModelError(f"unsupported word vectoriser: {words}")
        if not isinstance(chars.analyzer, CharNgrams) or tuple(chars.analyzer.ngram_range) != CHAR_NGRAMS:
            raise ModelError(f"unsupported char vectoriser: {chars}")
        weights, intercepts, a, b = [], [], [], []
        for est in pipeline.named_steps["clf"].estimators_:
            (cal,) = est.calibrated_classifiers_
            (sigmoid,) = cal.calibrators
            weights.append(np.ravel(cal.estimator.coef_))
            intercepts.append(float(np.ravel(cal.estimator.intercept_)[0]))
            a.append(float(sigmoid.a_))
            b.append(float(sigmoid.b_))
    except (AttributeError, KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"This pipeline is not a Pilah linear head ({exc}); train it with `pilah train`.") from exc
    return LinearHead(
        word_terms=vocabulary_terms(words.vocabulary_), word_idf=words.idf_,
        char_terms=vocabulary_terms(chars.vocabulary_), char_idf=chars.idf_,
        weights=np.column_stack(weights), intercepts=np.array(intercepts), sigmoid_a=np.array(a),
        sigmoid_b=np.array(b), char_ngram_range=CHAR_NGRAMS,
    )
