"""The model currently served, swapped atomically on reload, and the reload state the workers share."""

from __future__ import annotations

import asyncio
import fcntl
import gc
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilah.models.analysis import Analyzer, Document

__all__ = ["ModelHolder", "ReloadBoard", "ServedModel", "freeze_heap", "load_and_check"]

# Also names a lowercase place after "puskesmas", so that loading the place names happens here, at start-up.
SMOKE_TEXT = "KTP saya sudah tiga bulan belum jadi di Dukcapil Kabupaten Sarolangun, puskesmas sengeti juga tutup"

log = logging.getLogger("pilah.service")


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
        self.generation = 0  # of the ReloadBoard entry this process serves (0: the configured model)
        self.failed_generation = -1  # a published model this process could not load: not retried
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

    def swap(self, analyzer: Analyzer, model_dir: Path, generation: int) -> None:
        self._analyzer = analyzer  # one reference assignment: atomic under the GIL
        self.model_dir = model_dir
        self.generation = generation

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
            "generation": self.generation,
        }


@dataclass(frozen=True)
class ServedModel:
    generation: int
    model_dir: Path


class ReloadBoard:
    """Which model every worker process of one server serves: ``model.json`` in the server's run directory.

    uvicorn's workers are separate processes; a reload request reaches one of them. That worker loads and
    checks the model, then publishes it here with the next generation number; every worker polls the file
    (a read of ~100 bytes a second) and loads a generation newer than its own. Publishing takes an exclusive
    ``flock`` so that two reloads at once get distinct generations, and replaces the file atomically
    (write, fsync, rename) so that a reader never sees half of it. A worker that starts later (uvicorn
    replaces one that died) reads the board first and serves the same model as the others.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / "model.json"
        self._lock_path = self.run_dir / "model.lock"
        self._last_problem: str | None = None

    def read(self) -> ServedModel | None:
        """The published model, or None when there is none or the file cannot be read (logged once per problem:
        workers poll every second, and one that cannot read keeps serving what it serves)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            served = ServedModel(int(data["generation"]), Path(data["model_dir"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._last_problem:
                self._last_problem = problem
                log.error(f"cannot read the reload state {self.path} ({problem}); the next reload rewrites it",
                          extra={"code": "reload_state_unreadable"})
            return None
        self._last_problem = None
        return served

    def reset(self, model_dir: Path) -> None:
        """Start of a server: generation 0 is the configured model, whatever an earlier run left."""
        with self._locked():
            self._write(ServedModel(0, Path(model_dir)))

    def publish(self, model_dir: Path, *, after: int = 0) -> int:
        """Record ``model_dir`` as the model to serve; returns its generation, above both the file's and
        ``after`` (the publisher's own): a file removed (a tmp cleaner) or unreadable must not restart the
        count below what the other workers serve, or they would take the new model for one they have."""
        with self._locked():
            current = self.read()
            generation = max(current.generation if current else 0, after) + 1
            self._write(ServedModel(generation, Path(model_dir)))
        return generation

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, served: ServedModel) -> None:
        payload = json.dumps({"generation": served.generation, "model_dir": str(served.model_dir)})
        fd, tmp = tempfile.mkstemp(dir=self.run_dir, prefix=".model.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
