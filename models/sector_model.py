"""The sector classifier as served: preprocessor, linear head, labels, thresholds and metadata.

The head is the inference form of the fitted scikit-learn pipeline (``models/pipeline.py``): each sector gets
an independent calibrated probability, so a text can carry several sectors. Decision rule (thresholds tuned
on out-of-fold predictions, stored in ``meta.json``):

- if the best probability is below ``abstain_threshold``, no label: the primary sector is the abstain label;
- otherwise the labels are the best sector plus every other sector whose probability passes its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pilah.nlp.features import Preprocessor
from pilah.nlp.linear import LinearHead

__all__ = ["SectorModel", "Decision", "decide_row", "threshold_array"]


def threshold_array(labels: Sequence[str], thresholds: dict[str, float]) -> np.ndarray:
    return np.array([thresholds.get(lab, 0.5) for lab in labels])


def decide_row(
    proba: np.ndarray, thresholds: np.ndarray, abstain_threshold: float, order: np.ndarray | None = None
) -> tuple[np.ndarray, list[int]]:
    """The decision rule, used by serving and by evaluation alike: sectors ranked best first, and the chosen
    ones (indices): none when the best is below ``abstain_threshold``, else the best plus every other sector
    over its own threshold. ``order`` is the ranking when the caller sorted a whole batch at once."""
    if order is None:
        order = np.argsort(-proba, kind="stable")
    best = int(order[0])
    if proba[best] < abstain_threshold:
        return order, []
    return order, [best] + [int(i) for i in order[1:] if proba[i] >= thresholds[i]]


@dataclass(frozen=True)
class Decision:
    label: str
    score: float
    labels: list[str]
    ranking: list[tuple[str, float]]


@dataclass
class SectorModel:
    """What serving needs: the preprocessor, the linear head, labels and thresholds (no scikit-learn).

    ``pipeline`` is the fitted scikit-learn pipeline when the model was trained in this process or loaded with
    ``pilah.models.persistence.load_pipeline``; the reference the head is tested against.
    """

    preprocessor: Preprocessor
    head: LinearHead
    labels: list[str]
    thresholds: dict[str, float]
    abstain_threshold: float
    abstain_label: str
    meta: dict[str, Any] = field(default_factory=dict)
    pipeline: Any = None

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "pilah-sectors"))

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "0"))

    def prepare(self, texts: Sequence[str]) -> list[tuple[str, str]]:
        """Rows of (normalised text, stems): the one preprocessing path of training and serving."""
        return self.preprocessor.prepare_all(texts)

    def proba_prepared(self, prepared: Sequence[tuple[str, str]] | np.ndarray) -> np.ndarray:
        """Per-sector probabilities, columns in ``self.labels`` order."""
        return self.head.proba(prepared)

    def proba_sklearn(self, texts: Sequence[str]) -> np.ndarray:
        """scikit-learn's own path (the reference for the head); needs the fitted pipeline."""
        if self.pipeline is None:
            raise ValueError("this model was loaded without its scikit-learn pipeline (see load_pipeline)")
        return np.asarray(self.pipeline.predict_proba(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.proba_prepared(self.prepare(texts))

    def decide(self, proba: np.ndarray, order: np.ndarray | None = None,
               thresholds: np.ndarray | None = None) -> Decision:
        if thresholds is None:
            thresholds = threshold_array(self.labels, self.thresholds)
        order, chosen = decide_row(proba, thresholds, self.abstain_threshold, order)
        labels = self.labels
        values = proba.tolist()
        ranking = [(labels[i], values[i]) for i in order.tolist()]
        best, best_p = ranking[0]
        if not chosen:
            return Decision(self.abstain_label, 1.0 - best_p, [], ranking)
        return Decision(best, best_p, [labels[i] for i in chosen], ranking)

    def decide_all(self, proba: np.ndarray) -> list[Decision]:
        """:meth:`decide` for every row, ranked in one sort, with one threshold array."""
        orders = np.argsort(-proba, axis=1, kind="stable")
        thresholds = threshold_array(self.labels, self.thresholds)
        return [self.decide(row, order, thresholds) for row, order in zip(proba, orders, strict=True)]

    def predict(self, texts: Sequence[str]) -> list[Decision]:
        return self.decide_all(self.predict_proba(texts))

    def explain(self, text: str, label: str, k: int = 8) -> list[dict[str, float | str]]:
        """Terms that pushed ``label`` most for this text: tf-idf value x the linear model's weight."""
        (row,) = self.prepare([text])
        return self.explain_prepared(row, label, k)

    def explain_prepared(self, row: tuple[str, str], label: str, k: int = 8) -> list[dict[str, float | str]]:
        """:meth:`explain` for a row :meth:`prepare` already made (no second normalisation)."""
        if label not in self.labels:
            return []
        top = self.head.contributions(row, self.labels.index(label))[:k]
        return [{"term": term, "feature": kind, "weight": round(weight, 4)} for kind, term, weight in top]
