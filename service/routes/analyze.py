"""POST /v1/analyze, /v1/analyze/batch, /v1/classify, /v1/agencies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pilah.models.analysis import Document, error_result, parse_document, valid_id
from pilah.nlp.errors import InputError
from pilah.service.deps import HolderDep, MetricsDep, SettingsDep
from pilah.service.errors import ApiError
from pilah.service.schemas import AnalysisOut, AnalyzeIn, BatchIn, BatchOut, ClassifyOut, ExtractOut

router = APIRouter(prefix="/v1", tags=["analysis"])


def _document(obj: dict[str, Any], max_bytes: int) -> Document:
    doc = parse_document(obj)
    size = len(doc.text.encode("utf-8")) + len((doc.title or "").encode("utf-8"))
    if size > max_bytes:
        raise InputError(
            f"\"text\" and \"title\" are {size:,} bytes, over the limit of {max_bytes:,}; split the document or raise "
            "PILAH_MAX_TEXT_BYTES.",
            code="text_too_large",
        )
    return doc


def _count(metrics: MetricsDep, results: list[dict[str, Any]]) -> None:
    for r in results:
        if "sector" in r:
            metrics.predictions.labels(sector=r["sector"]["label"]).inc()
        elif "error" in r:
            metrics.errors.labels(code=r["error"]["code"]).inc()


# Handlers are plain `def`: FastAPI runs them in its threadpool, so CPU-bound analysis never blocks the
# event loop that accepts other requests. They return JSONResponse directly: the analysis dict already has
# the documented shape, and re-validating it through the response model cost more than the analysis itself.
@router.post("/analyze", response_model=AnalysisOut, response_model_exclude_none=True,
             summary="Sectors, agencies and regions of one text")
def analyze(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> JSONResponse:
    doc = _document(body.model_dump(), settings.max_text_bytes)
    result = holder.current.analyze([doc], explain=body.explain)[0]
    _count(metrics, [result])
    return JSONResponse(result)


@router.post("/analyze/batch", response_model=BatchOut, response_model_exclude_none=True,
             summary="Analyse up to PILAH_MAX_BATCH documents; a bad one gets an error in its place")
def analyze_batch(body: BatchIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> JSONResponse:
    if len(body.documents) > settings.max_batch:
        raise ApiError(
            "batch_too_large",
            f"{len(body.documents)} documents, over the limit of {settings.max_batch}; split the batch.",
        )
    parsed: list[Document | tuple[Any, InputError]] = []
    for obj in body.documents:
        doc_id = obj.get("id") if isinstance(obj, dict) else None
        doc_id = doc_id if valid_id(doc_id) else None
        try:
            parsed.append(_document(obj, settings.max_text_bytes))
        except InputError as exc:
            parsed.append((doc_id, exc))
    analyzer = holder.current
    docs = [p for p in parsed if isinstance(p, Document)]
    answers = iter(analyzer.analyze(docs, explain=body.explain))
    results = [next(answers) if isinstance(p, Document) else error_result(*p) for p in parsed]
    _count(metrics, results)
    return JSONResponse({"results": results})


@router.post("/classify", response_model=ClassifyOut, response_model_exclude_none=True,
             summary="Sectors only")
def classify(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep, metrics: MetricsDep) -> JSONResponse:
    doc = _document(body.model_dump(), settings.max_text_bytes)
    analyzer = holder.current
    result = analyzer.classify([doc], explain=body.explain)[0]
    result["model"] = analyzer.model_info
    _count(metrics, [result])
    return JSONResponse(result)


@router.post("/agencies", response_model=ExtractOut, summary="Agencies and regions only")
def agencies(body: AnalyzeIn, holder: HolderDep, settings: SettingsDep) -> JSONResponse:
    doc = _document(body.model_dump(), settings.max_text_bytes)
    return JSONResponse({"id": doc.id, **holder.current.extract(doc)})
