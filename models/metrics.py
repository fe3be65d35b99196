"""Evaluation of sector predictions: primary-sector and multi-label scores, per-sector table, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from pilah.models.sector_model import decide_row, threshold_array

__all__ = ["evaluate_decisions", "format_report", "label_decisions", "tune_thresholds"]


def gold_primary(labels: Sequence[Sequence[str]], abstain: str) -> list[str]:
    return [lab[0] if lab and lab[0] != abstain else abstain for lab in labels]


def label_matrix(labels: Sequence[Sequence[str]], classes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    Y = np.zeros((len(labels), len(classes)), dtype=np.int8)
    for r, labs in enumerate(labels):
        for lab in labs:
            if lab in index:
                Y[r, index[lab]] = 1
    return Y


def label_decisions(
    proba: np.ndarray, classes: Sequence[str], thresholds: dict[str, float], abstain_t: float, abstain: str
) -> tuple[list[str], list[list[str]]]:
    """Primary label and label set for each row of probabilities (``SectorModel.decide``'s rule)."""
    primary: list[str] = []
    sets: list[list[str]] = []
    t = threshold_array(classes, thresholds)
    orders = np.argsort(-proba, axis=1, kind="stable")  # one sort for all rows, as SectorModel.decide_all
    for row, order in zip(proba, orders, strict=True):
        _, chosen = decide_row(row, t, abstain_t, order)
        primary.append(classes[chosen[0]] if chosen else abstain)
        sets.append([classes[i] for i in chosen])
    return primary, sets


def tune_thresholds(
    proba: np.ndarray, gold: Sequence[Sequence[str]], classes: Sequence[str], abstain: str
) -> tuple[dict[str, float], float]:
    """Per-sector thresholds maximising each sector's F1, then the abstain threshold maximising primary
    macro-F1, both on out-of-fold probabilities."""
    Y = label_matrix(gold, classes)
    grid = np.round(np.arange(0.10, 0.91, 0.025), 3)
    thresholds: dict[str, float] = {}
    for j, c in enumerate(classes):
        best_t, best_f = 0.5, -1.0
        for t in grid:
            f = f1_score(Y[:, j], proba[:, j] >= t, zero_division=0)
            if f > best_f + 1e-9:
                best_t, best_f = float(t), f
        thresholds[c] = best_t
    gold_p = gold_primary(gold, abstain)
    best_a, best_f = 0.0, -1.0
    for a in np.round(np.arange(0.0, 0.61, 0.025), 3):
        pred, _ = label_decisions(proba, classes, thresholds, float(a), abstain)
        f = f1_score(gold_p, pred, average="macro", zero_division=0)
        if f > best_f + 1e-9:
            best_a, best_f = float(a), f
    return thresholds, best_a


def evaluate_decisions(
    gold: Sequence[Sequence[str]],
    primary: Sequence[str],
    sets: Sequence[Sequence[str]],
    classes: Sequence[str],
    abstain: str,
) -> dict[str, Any]:
    """Scores of predicted primary labels and label sets against gold label lists."""
    gold_p = gold_primary(gold, abstain)
    all_classes = [*classes, abstain]
    present = [c for c in all_classes if c in set(gold_p) | set(primary)]
    p, r, f, s = precision_recall_fscore_support(
        gold_p, primary, labels=all_classes, zero_division=0
    )
    per_class = {
        c: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4), "support": int(s[i])}
        for i, c in enumerate(all_classes)
    }
    Yg = label_matrix(gold, classes)
    Yp = label_matrix(sets, classes)
    cm = confusion_matrix(gold_p, primary, labels=all_classes)
    sector_f1 = [per_class[c]["f1"] for c in classes if per_class[c]["support"] > 0]
    return {
        "n": len(gold_p),
        "accuracy": round(float(np.mean([g == q for g, q in zip(gold_p, primary, strict=True)])), 4),
        "macro_f1": round(float(f1_score(gold_p, primary, labels=present, average="macro", zero_division=0)), 4),
        "macro_f1_sectors": round(float(np.mean(sector_f1)) if sector_f1 else 0.0, 4),
        "multilabel_micro_f1": round(float(f1_score(Yg, Yp, average="micro", zero_division=0)), 4),
        "multilabel_macro_f1": round(float(f1_score(Yg, Yp, average="macro", zero_division=0)), 4),
        "abstained": int(sum(1 for q in primary if q == abstain)),
        "per_class": per_class,
        "confusion": {"labels": all_classes, "matrix": cm.tolist()},
    }


def format_report(metrics: dict[str, Any], title: str) -> str:
    """A Markdown report: headline scores, per-sector table, confusion matrix."""
    lines = [
        f"### {title}",
        "",
        f"- documents: {metrics['n']}",
        f"- primary-sector accuracy: {metrics['accuracy']:.3f}",
        f"- primary-sector macro-F1 (sectors and abstain): {metrics['macro_f1']:.3f}",
        f"- primary-sector macro-F1 (sectors only): {metrics['macro_f1_sectors']:.3f}",
        f"- multi-label micro-F1 / macro-F1: {metrics['multilabel_micro_f1']:.3f} / "
        f"{metrics['multilabel_macro_f1']:.3f}",
        f"- abstained: {metrics['abstained']}",
        "",
        "| sector | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for c, m in metrics["per_class"].items():
        lines.append(f"| {c} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    labels = metrics["confusion"]["labels"]
    short = [lab[:6] for lab in labels]
    lines += ["", "Confusion matrix of the primary sector (rows: gold, columns: predicted):", "",
              "| gold \\ pred | " + " | ".join(short) + " |",
              "|---|" + "---:|" * len(labels)]
    for lab, row in zip(labels, metrics["confusion"]["matrix"], strict=True):
        lines.append(f"| {lab} | " + " | ".join(str(v) if v else "." for v in row) + " |")
    return "\n".join(lines) + "\n"
