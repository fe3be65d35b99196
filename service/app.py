"""The FastAPI application: ``create_app()`` wires settings, model, routers, errors, metrics and the page.

The model loads in the lifespan (never at import). ``RequestGuard`` gives every response an ``X-Request-ID``,
checks content type and body size, records the per-route HTTP metrics, and writes one JSON log line per
request without any text from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from pilah.nlp.errors import PilahError
from pilah.service.docs_page import render_docs
from pilah.service.errors import install_error_handlers
from pilah.service.feedback import FeedbackStore
from pilah.service.metrics import CONTENT_TYPE_LATEST, ServiceMetrics
from pilah.service.middleware import RequestGuard
from pilah.service.reload import follow_reloads, serve
from pilah.service.routes import admin, analyze, feedback, info
from pilah.service.settings import Settings, get_settings
from pilah.service.state import ModelHolder, ReloadBoard, load_and_check

__all__ = ["create_app"]

log = logging.getLogger("pilah.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name,
                 "pid": record.process, "msg": record.getMessage()}
        for key in ("request_id", "method", "path", "status", "duration_ms", "model_dir", "model_name",
                    "model_version", "generation", "code"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _configure_logging(level: str) -> None:
    root = logging.getLogger("pilah")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    _configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.feedback = FeedbackStore(settings.feedback_db)
        board: ReloadBoard | None = app.state.board
        # A worker started after a reload (uvicorn replaces one that died) serves what the others serve.
        served = board.read() if board is not None else None
        model_dir, generation = (served.model_dir, served.generation) if served else (Path(settings.model_dir), 0)
        try:
            analyzer = load_and_check(model_dir)
        except PilahError as exc:
            if served is None:
                raise  # the configured model itself: the server cannot start without it
            # The reloaded model went away (moved, deleted): serve the configured one rather than fail to start,
            # which makes uvicorn stop every worker. The follower logs the reload it cannot follow.
            logging.getLogger("pilah.service").error(
                f"cannot load the reloaded model {model_dir} (generation {generation}): {exc.message}; serving "
                f"the configured model {settings.model_dir}",
                extra={"model_dir": str(model_dir), "code": exc.code, "generation": generation},
            )
            model_dir, generation = Path(settings.model_dir), 0
            analyzer = load_and_check(model_dir)
            app.state.holder.failed_generation = served.generation
        serve(app.state.holder, app.state.metrics, analyzer, model_dir, generation,
              f"serving model {analyzer.model.name} {analyzer.model.version} from {model_dir}")
        follower = asyncio.create_task(follow_reloads(app, board)) if board is not None else None
        try:
            yield
        finally:
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower

    app = FastAPI(
        title="Pilah",
        description="Indonesian complaint and news text mining: public-service sectors, agencies, regions.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: /docs is our own offline page
        redoc_url=None,
        # FastAPI's built-in OpenTelemetry looks up the global providers on every request; the service's
        # telemetry is its Prometheus metrics and JSON access log.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.holder = ModelHolder()
    registry = CollectorRegistry()
    app.state.metrics = ServiceMetrics(registry)
    app.state.settings = settings
    app.state.board = ReloadBoard(settings.run_dir) if settings.run_dir is not None else None
    install_error_handlers(app)
    for router in (analyze.router, info.router, admin.router, feedback.router):
        app.include_router(router)

    metrics = app.state.metrics

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    static = Path(str(resources.files("pilah.service").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static), name="static")

    index_html = (static / "index.html").read_text(encoding="utf-8")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))  # app.openapi() builds the schema once and caches it

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(index_html)

    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes, metrics=app.state.metrics)

    return app
