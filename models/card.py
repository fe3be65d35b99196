"""The model card written next to every trained model (``MODEL_CARD.md``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pilah.corpus.records import Example
from pilah.models.metrics import format_report

__all__ = ["render_card"]


def _counts(examples: Sequence[Example]) -> str:
    kinds = Counter(ex.kind for ex in examples)
    return ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) or "none"


def render_card(
    meta: dict[str, Any],
    cv: dict[str, Any],
    test: dict[str, Any] | None,
    train: Sequence[Example],
    held_out: Sequence[Example],
) -> str:
    tax = meta["taxonomy"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [
        f"# Model card: {meta['name']} {meta['version']}",
        "",
        "## What it does",
        "",
        f"Classifies Indonesian complaint and news text into the {len(tax['sectors'])} public-service sectors of "
        f"the taxonomy `{tax['name']}` (v{tax['version']}), with an independent calibrated probability per "
        f"sector. Texts whose best probability is below {meta.get('abstain_threshold', 'the abstain threshold')} "
        f"get the label `{tax['abstain']}`.",
        "",
        "Pipeline: Pilah's text preprocessor (NFKC, personal-data placeholders, slang normalisation, Sastrawi "
        "stemming with name protection) -> TF-IDF word 1-2-grams on stems + character 3-5-grams on the "
        "normalised text -> one-vs-rest linear SVM with sigmoid calibration. Per-sector thresholds and the "
        "abstain threshold were tuned on out-of-fold predictions.",
        "",
        "## Training data",
        "",
        f"- training texts: {len(train)} ({_counts(train)}); held-out test texts: {len(held_out)} "
        f"({_counts(held_out)})",
        f"- sources: {', '.join(meta.get('data_sources') or ['the shipped Pilah corpus'])}",
        f"- data hash (SHA-256 over ids, texts, labels): `{meta['data_hash']}`",
        f"- seed {meta['seed']}, {meta['folds']}-fold stratified CV, C={meta['C']}",
        f"- trained at {meta['trained_at']} with {versions}",
        "",
        "## Evaluation",
        "",
        "Cross-validated scores use out-of-fold predictions on the training texts (the thresholds were tuned on "
        "those same predictions, so these are slightly optimistic). The held-out split was written by other "
        "writers and never used for any choice; it is the better estimate, though still our own writing.",
        "",
        format_report(cv, f"Cross-validation ({meta['folds']} folds, training texts)"),
    ]
    if test is not None:
        lines.append(format_report(test, "Held-out test split"))
    lines += [
        "## Known limits",
        "",
        "- The corpus is written by the Pilah team, not collected from real complaint channels: real complaints "
        "are messier and cover topics we did not think of. Expect lower scores on real text than on the held-out "
        "split; measure on your own labelled sample before relying on it.",
        "- Boundaries are fuzzy where one complaint touches several sectors (health insurance for the poor, "
        "village funds for roads); the second sector may be missed or added.",
        "- Text in regional languages (Javanese, Sundanese, Minang ...) beyond common words is poorly covered.",
        "- Very short texts (a few words) without a sector keyword are often abstained on.",
        "",
    ]
    return "\n".join(lines)
