"""The sector classifier: a fitted scikit-learn pipeline plus its labels, thresholds and metadata.

The pipeline is ``TextPreprocessor -> ColumnTransformer(word n-grams on stems, char n-grams on normalised
text) -> one-vs-rest calibrated linear SVM``. Each sector gets an independent calibrated probability, so a text
can carry several sectors. Decision rule (thresholds tuned on out-of-fold predictions, stored in ``meta.json``):

- if the best probability is below ``abstain_threshold``, no label: the primary sector is the abstain label;
- otherwise the labels are the best sector plus every other sector whose probability passes its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from pilah.nlp.features import NORMALIZED, STEMMED, CharNgrams, CharTfidfVectorizer, TextPreprocessor

__all__ = ["SectorModel", "Decision", "build_pipeline", "build_head", "decide_row", "threshold_array"]


def threshold_array(labels: Sequence[str], thresholds: dict[str, float]) -> np.ndarray:
    return np.array([thresholds.get(lab, 0.5) for lab in labels])


def decide_row(proba: np.ndarray, thresholds: np.ndarray, abstain_threshold: float) -> tuple[np.ndarray, list[int]]:
    """The decision rule, used by serving and by evaluation alike: sectors ranked best first, and the chosen
    ones (indices): none when the best is below ``abstain_threshold``, else the best plus every other sector
    over its own threshold."""
    order = np.argsort(-proba, kind="stable")
    best = int(order[0])
    if proba[best] < abstain_threshold:
        return order, []
    return order, [best] + [int(i) for i in order[1:] if proba[i] >= thresholds[i]]


def build_head(*, seed: int, C: float = 0.5) -> Pipeline:
    """Features and classifier: everything after the text preprocessor (fitted per CV fold)."""
    features = ColumnTransformer(
        [
            (
                "words",
                TfidfVectorizer(
                    token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), min_df=2,
                    sublinear_tf=True, dtype=np.float32,
                ),
                STEMMED,
            ),
            (
                "chars",
                CharTfidfVectorizer(
                    analyzer=CharNgrams((3, 5)), lowercase=False, min_df=3,
                    sublinear_tf=True, max_features=150_000, dtype=np.float32,
                ),
                NORMALIZED,
            ),
        ],
        sparse_threshold=1.0,
    )
    svm = LinearSVC(C=C, class_weight="balanced", random_state=seed)
    clf = OneVsRestClassifier(CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False))
    return Pipeline([("features", features), ("clf", clf)])


def build_pipeline(lexicon: dict[str, Any], *, seed: int, C: float = 0.5) -> Pipeline:
    head = build_head(seed=seed, C=C)
    return Pipeline([("prep", TextPreprocessor(lexicon=lexicon)), *head.steps])


@dataclass(frozen=True)
class Decision:
    label: str
    score: float
    labels: list[str]
    ranking: list[tuple[str, float]]


@dataclass
class SectorModel:
    pipeline: Pipeline
    labels: list[str]
    thresholds: dict[str, float]
    abstain_threshold: float
    abstain_label: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "pilah-sectors"))

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "0"))

    def prepare(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.named_steps["prep"].transform(texts)

    def _linear(self) -> tuple[list[tuple[Any, Any]], np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The fitted head as one linear layer: vectorisers, weights (F x L), intercepts, sigmoid a and b.

        scikit-learn's one-vs-rest ``predict_proba`` validates the input once per sector (19 times), which
        costs ~14 ms for a single document: too slow for real-time tagging. The same numbers come from one
        sparse-dense product and the sigmoid calibration, computed here from the fitted estimators (equality
        with scikit-learn's path is tested). None when the head is not of that shape.
        """
        if "_linear_parts" in self.__dict__:
            return self.__dict__["_linear_parts"]
        parts = None
        try:
            features = self.pipeline.named_steps["features"]
            vecs = [(tr, col) for _, tr, col in features.transformers_ if tr not in ("drop", "passthrough")]
            weights, intercepts, a, b = [], [], [], []
            for est in self.pipeline.named_steps["clf"].estimators_:
                (cal,) = est.calibrated_classifiers_
                (sigmoid,) = cal.calibrators
                weights.append(np.ravel(cal.estimator.coef_))
                intercepts.append(float(np.ravel(cal.estimator.intercept_)[0]))
                a.append(float(sigmoid.a_))
                b.append(float(sigmoid.b_))
            parts = (vecs, np.column_stack(weights), np.array(intercepts), np.array(a), np.array(b))
        except (AttributeError, ValueError, TypeError, KeyError):
            parts = None
        self.__dict__["_linear_parts"] = parts
        return parts

    def proba_prepared(self, prepared: np.ndarray) -> np.ndarray:
        """Per-sector probabilities, columns in ``self.labels`` order."""
        linear = self._linear()
        if linear is None:
            X = self.pipeline.named_steps["features"].transform(prepared)
            return self.pipeline.named_steps["clf"].predict_proba(X)
        vecs, W, c, a, b = linear
        # The vectorisers were fitted by us and are fed our own preprocessed strings: scikit-learn's
        # per-call parameter and finiteness checks are a third of a single document's time.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            X = sp.hstack([tr.transform(prepared[:, col]) for tr, col in vecs], format="csr")
        return expit(-(a * (X @ W + c) + b))

    def proba_sklearn(self, texts: Sequence[str]) -> np.ndarray:
        """scikit-learn's own path (reference for the fast path)."""
        return self.pipeline.predict_proba(texts)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.proba_prepared(self.prepare(texts))

    def decide(self, proba: np.ndarray) -> Decision:
        order, chosen = decide_row(proba, threshold_array(self.labels, self.thresholds), self.abstain_threshold)
        ranking = [(self.labels[i], float(proba[i])) for i in order]
        best, best_p = ranking[0]
        if not chosen:
            return Decision(self.abstain_label, 1.0 - best_p, [], ranking)
        return Decision(best, best_p, [self.labels[i] for i in chosen], ranking)

    def predict(self, texts: Sequence[str]) -> list[Decision]:
        return [self.decide(row) for row in self.predict_proba(texts)]

    def explain(self, text: str, label: str, k: int = 8) -> list[dict[str, float | str]]:
        """Terms that pushed ``label`` most for this text: tf-idf value x the linear model's weight."""
        if label not in self.labels:
            return []
        prepared = self.prepare([text])
        features = self.pipeline.named_steps["features"]
        X = features.transform(prepared).tocsr()
        est = self.pipeline.named_steps["clf"].estimators_[self.labels.index(label)]
        coef = np.ravel(est.calibrated_classifiers_[0].estimator.coef_)
        row = X.getrow(0)
        contrib = row.data * coef[row.indices]
        names = features.get_feature_names_out()
        top = np.argsort(-contrib)[:k]
        out: list[dict[str, float | str]] = []
        for i in top:
            if contrib[i] <= 0:
                break
            kind, _, term = str(names[row.indices[i]]).partition("__")
            out.append({"term": term, "feature": kind, "weight": round(float(contrib[i]), 4)})
        return out
