"""The model currently served, swapped atomically on reload."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

from pilah.models.analysis import Analyzer, Document

__all__ = ["ModelHolder", "freeze_heap", "load_and_check"]

# Also names a lowercase place after "puskesmas", so that loading the place names happens here, at start-up.
SMOKE_TEXT = "KTP saya sudah tiga bulan belum jadi di Dukcapil Kabupaten Sarolangun, puskesmas sengeti juga tutup"


def load_and_check(model_dir: Path) -> Analyzer:
    """Load a model directory and run a smoke prediction; raises a ModelError if it is unusable."""
    from pilah.service.jobs import load_analyzer

    analyzer: Analyzer = load_analyzer(model_dir)
    result = analyzer.analyze([Document(id="smoke", text=SMOKE_TEXT)])[0]
    if len(result["sectors"]) != len(analyzer.model.labels):
        from pilah.nlp.errors import ModelError

        raise ModelError(f"Model at {model_dir} answered the smoke test with a malformed result.")
    return analyzer


def freeze_heap() -> None:
    """Move everything alive now (the loaded model) out of the garbage collector's sight.

    A loaded model is ~190k long-lived objects; one full collection over them takes ~90-120 ms, a pause that
    every request in flight waits out whenever the collector decides to run one. Frozen objects are still
    freed by reference counting. Called after each load: unfreezing first lets the collector find the
    cycles of a model just swapped out (a one-off full collection, on a reload only).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class ModelHolder:
    """Requests read ``current`` once and keep that reference: a swap never disturbs a request in flight."""

    def __init__(self) -> None:
        self._analyzer: Analyzer | None = None
        self.model_dir: Path | None = None
        self.reload_lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._analyzer is not None

    @property
    def current(self) -> Analyzer:
        analyzer = self._analyzer
        if analyzer is None:
            from pilah.service.errors import ApiError

            raise ApiError("model_not_ready", "The model is still loading; retry in a moment.")
        return analyzer

    def swap(self, analyzer: Analyzer, model_dir: Path) -> None:
        self._analyzer = analyzer  # one reference assignment: atomic under the GIL
        self.model_dir = model_dir

    def info(self) -> dict[str, Any]:
        model = self.current.model
        meta = model.meta
        return {
            "name": model.name,
            "version": model.version,
            "labels": model.labels,
            "thresholds": model.thresholds,
            "abstain_label": model.abstain_label,
            "abstain_threshold": model.abstain_threshold,
            "metrics": meta.get("metrics", {}),
            "trained_at": meta.get("trained_at"),
            "data_hash": meta.get("data_hash"),
            "path": str(self.model_dir),
        }
