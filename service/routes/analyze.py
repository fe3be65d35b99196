"""POST /v1/analyze, /v1/analyze/batch, /v1/classify, /v1/agencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pydantic_core
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pilah.models.analysis import Analyzer, Document, error_result, valid_id
from pilah.nlp.errors import InputError
from pilah.service.deps import HolderDep, MetricsDep, SettingsDep
from pilah.service.errors import ApiError
from pilah.service.schemas import AnalysisOut, AnalyzeIn, BatchIn, BatchOut, ClassifyOut, ExtractOut
from pilah.service.settings import Settings

router = APIRouter(prefix="/v1", tags=["analysis"])
T = TypeVar("T")


def _json(content: Any) -> Response:
    """The analysis dict already has the documented shape: serialised as is (pydantic-core's encoder, a
    quarter of the time of ``json.dumps`` for the same bytes), never re-validated through the response model,
    which cost more than the analysis itself."""
    return Response(pydantic_core.to_json(content), media_type="application/json")


def _size(doc: Document) -> int:
    return len(doc.text.encode("utf-8")) + len((doc.title or "").encode("utf-8"))


def _document(analyzer: Analyzer, obj: Any, settings: Settings) -> Document:
    """One document checked as ``pilah analyze`` checks a line (same codes), with the service's size limit."""
    return analyzer.parse(obj, max_bytes=settings.max_text_bytes, limit_name="PILAH_MAX_TEXT_BYTES")


async def _cpu(doc: Document, settings: Settings, fn: Callable[[], T]) -> T:
    """Run the analysis of one document: on the event loop when the text is short, else in the threadpool.

    A short text costs ~1-3 ms of CPU. In a worker thread it holds the GIL all the same, so it does not
    free the loop much: under load the pool's threads and the loop take turns at the GIL, every hand-off
    (wake a thread, pass the GIL, wake the loop) costs about as much again, and capacity drops. Measured on
    one worker at 250 analyses/s with /healthz probed alongside (alternated runs, shared 2-core box): inline,
    analyses p50 4-7 ms and /healthz p99 14-62 ms; threadpool, analyses p50 14-330 ms and /healthz p99
    33-660 ms. Long texts take tens of ms: those still go to the threadpool, where the interpreter's GIL
    switching lets the loop answer other requests meanwhile. The bound is ``PILAH_INLINE_MAX_BYTES``.
    """
    if _size(doc) <= settings.inline_max_bytes:
        return fn()
    return await run_in_threadpool(fn)


async def _one(body: AnalyzeIn, analyzer: Analyzer, settings: Settings,
               work: Callable[[Document], T]) -> tuple[Document, T]:
    """The document of a single-text request and ``work`` done on it (where: see :func:`_cpu`)."""
    doc = _document(analyzer, body.model_dump(exclude={"explain"}, exclude_unset=True), settings)
    return doc, await _cpu(doc, settings, lambda: work(doc))


def _count(metrics: MetricsDep, results: list[dict[str, Any]]) -> None:
    for r in results:
        if "sector" in r:
            metrics.predictions.labels(sector=r["sector"]["label"]).inc()
        elif "error" in r:
            metrics.errors.labels(code=r["error"]["code"]).inc()


# Single-document handlers are `async def` and choose where the analysis runs (`_cpu`); the batch handler is
# a plain `def`, which FastAPI runs in its threadpool, so a batch never holds the event loop. All return the
# analysis as JSON directly (`_json`); `response_model` only documents the shape.
@router.post("/analyze", response_model=AnalysisOut, response_model_exclude_none=True,
             summary="Sectors, agencies and regions of one text")
async def analyze(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    analyzer = holder.current
    _, result = await _one(body, analyzer, settings, lambda doc: analyzer.analyze([doc], explain=body.explain)[0])
    _count(metrics, [result])
    return _json(result)


@router.post("/analyze/batch", response_model=BatchOut, response_model_exclude_none=True,
             summary="Analyse up to PILAH_MAX_BATCH documents; a bad one gets an error in its place")
def analyze_batch(body: BatchIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    if len(body.documents) > settings.max_batch:
        raise ApiError(
            "batch_too_large",
            f"{len(body.documents)} documents, over the limit of {settings.max_batch}; split the batch or raise "
            "PILAH_MAX_BATCH.",
        )
    analyzer = holder.current
    parsed: list[Document | tuple[Any, InputError]] = []
    for obj in body.documents:
        doc_id = obj.get("id") if isinstance(obj, dict) else None
        doc_id = doc_id if valid_id(doc_id) else None
        try:
            parsed.append(_document(analyzer, obj, settings))
        except InputError as exc:
            parsed.append((doc_id, exc))
    docs = [p for p in parsed if isinstance(p, Document)]
    answers = iter(analyzer.analyze(docs, explain=body.explain))
    results = [next(answers) if isinstance(p, Document) else error_result(*p) for p in parsed]
    _count(metrics, results)
    return _json({"results": results})


@router.post("/classify", response_model=ClassifyOut, response_model_exclude_none=True,
             summary="Sectors only")
async def classify(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    analyzer = holder.current
    _, result = await _one(body, analyzer, settings, lambda doc: analyzer.classify([doc], explain=body.explain)[0])
    result["model"] = analyzer.model_info
    _count(metrics, [result])
    return _json(result)


@router.post("/agencies", response_model=ExtractOut, summary="Agencies and regions only")
async def agencies(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep) -> Response:
    analyzer = holder.current
    doc, found = await _one(body, analyzer, settings, analyzer.extract)
    return _json({"id": doc.id, **found})
