"""Model reloads: the swap an admin request asks for, and the other worker processes following it.

The worker that receives ``POST /v1/admin/reload`` loads and checks the model, swaps it in and publishes it on
the server's :class:`~pilah.service.state.ReloadBoard`; every worker polls the board once a second
(:func:`follow_reloads`) and loads a newer generation the same way. Every reload, refused or done, is logged
on ``pilah.service`` with the model directory.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from pilah.nlp.errors import PilahError
from pilah.service.errors import ApiError
from pilah.service.metrics import ServiceMetrics
from pilah.service.state import ModelHolder, ReloadBoard, freeze_heap, load_and_check

__all__ = ["FOLLOW_INTERVAL_S", "catch_up", "follow_reloads", "reload_model", "serve"]

log = logging.getLogger("pilah.service")

FOLLOW_INTERVAL_S = 1.0


def serve(holder: ModelHolder, metrics: ServiceMetrics, analyzer: Any, model_dir: Path, generation: int,
          message: str) -> None:
    """Swap ``analyzer`` in, record it in the metrics, freeze the heap and log ``message`` with the model's
    fields: what start-up, a reload and a followed reload all do once their model is loaded and checked."""
    holder.swap(analyzer, model_dir, generation)
    metrics.set_model(analyzer.model.name, analyzer.model.version)
    freeze_heap()
    log.info(message, extra={"model_dir": str(model_dir), "model_name": analyzer.model.name,
                             "model_version": analyzer.model.version, "generation": generation})


def _label_change(old: Any, new: Any) -> str | None:
    """What differs between the label sets of two models, or None."""
    added = sorted(set(new.labels) - set(old.labels))
    removed = sorted(set(old.labels) - set(new.labels))
    parts = [f"adds {added}"] * bool(added) + [f"drops {removed}"] * bool(removed)
    if new.abstain_label != old.abstain_label:
        parts.append(f"abstains with {new.abstain_label!r} instead of {old.abstain_label!r}")
    return ", ".join(parts) or None


async def reload_model(
    holder: ModelHolder, metrics: ServiceMetrics, board: ReloadBoard | None, model_dir: Path, *,
    allow_label_change: bool = False,
) -> dict[str, Any]:
    """Load, check and swap in ``model_dir``; the old model serves until the swap, and stays on any failure."""
    async with holder.reload_lock:
        old = holder.current
        try:
            # Loading is slow and CPU-bound: off the event loop, while the old model keeps serving.
            analyzer = await run_in_threadpool(load_and_check, model_dir)
        except PilahError as exc:
            log.warning(f"reload refused: {model_dir}: {exc.message}",
                        extra={"model_dir": str(model_dir), "code": exc.code})
            raise
        change = _label_change(old.model, analyzer.model)
        if change and not allow_label_change:
            log.warning(f"reload refused: {model_dir}: the label set changes ({change})",
                        extra={"model_dir": str(model_dir), "code": "label_set_changed"})
            raise ApiError(
                "label_set_changed",
                f"The model at {model_dir} {change} compared with the model served; clients and stored feedback "
                "use the served labels. Send {\"allow_label_change\": true} to swap it in anyway.",
            )
        generation = board.publish(model_dir, after=holder.generation) if board is not None else holder.generation + 1
        serve(holder, metrics, analyzer, model_dir, generation,
              f"reloaded: serving {analyzer.model.name} {analyzer.model.version} from {model_dir} "
              f"(was {old.model.name} {old.model.version}; generation {generation})"
              + (f"; label set: {change}" if change else ""))
    return {
        "status": "reloaded", "previous": old.model_info, "model": analyzer.model_info, "path": str(model_dir),
        "generation": generation, "label_change": change,
    }


async def catch_up(holder: ModelHolder, metrics: ServiceMetrics, board: ReloadBoard) -> bool:
    """Load the board's model if it is newer than this process's; True when a model was swapped in."""
    served = board.read()
    if served is None or served.generation <= holder.generation or served.generation == holder.failed_generation:
        return False
    async with holder.reload_lock:
        served = board.read()  # a reload answered by this process may have published meanwhile
        if served is None or served.generation <= holder.generation:
            return False
        try:
            analyzer = await run_in_threadpool(load_and_check, served.model_dir)
        except PilahError as exc:
            holder.failed_generation = served.generation  # logged once, not retried every second
            log.error(
                f"reload not followed: {served.model_dir} (generation {served.generation}) failed to load here: "
                f"{exc.message}; this worker keeps serving {holder.model_dir}",
                extra={"model_dir": str(served.model_dir), "code": exc.code, "generation": served.generation},
            )
            return False
        serve(holder, metrics, analyzer, served.model_dir, served.generation,
              f"reloaded (following another worker): serving {analyzer.model.name} {analyzer.model.version} from "
              f"{served.model_dir} (generation {served.generation})")
    return True


async def follow_reloads(app: FastAPI, board: ReloadBoard, interval: float = FOLLOW_INTERVAL_S) -> None:
    """Poll the board for the life of the app (cancelled at shutdown)."""
    last_error = None
    while True:
        await asyncio.sleep(interval)
        try:
            await catch_up(app.state.holder, app.state.metrics, board)
            last_error = None
        except Exception as exc:  # nothing must stop the polling, nor the worker; logged once, not every second
            if repr(exc) != last_error:
                last_error = repr(exc)
                log.exception(f"cannot follow the reload state {board.path}")
