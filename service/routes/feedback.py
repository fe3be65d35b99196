"""POST /v1/feedback: check a reviewer's correction, then store it durably before answering."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from pilah.models.analysis import parse_document
from pilah.nlp.errors import InputError
from pilah.service.deps import FeedbackDep, HolderDep, SettingsDep
from pilah.service.feedback import check_agencies, check_labels
from pilah.service.schemas import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackOut, summary="Store a correction for the next training run")
async def feedback(body: FeedbackIn, store: FeedbackDep, holder: HolderDep, settings: SettingsDep) -> dict[str, Any]:
    if isinstance(body.id, str) and not body.id.strip():
        # A correction is found again by its id (the latest wins): an empty one would join unrelated texts.
        raise InputError("\"id\" is empty; send the id of the document being corrected.", code="invalid_id")
    # The text gets the checks and codes of an analysed document (empty_text, invalid_utf8, text_too_large).
    doc = parse_document({"id": body.id, "text": body.text}, max_bytes=settings.max_text_bytes,
                         limit_name="PILAH_MAX_TEXT_BYTES")
    model = holder.current.model
    labels = check_labels(body.labels, known=model.labels, abstain=model.abstain_label)
    agencies = check_agencies(body.agencies, doc.text) if body.agencies is not None else None
    fid = await run_in_threadpool(
        store.add, doc_id=str(body.id), text=doc.text, labels=labels, agencies=agencies, model_version=model.version,
    )
    return {"stored": True, "feedback_id": fid}
