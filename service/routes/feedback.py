"""POST /v1/feedback: store a reviewer's correction durably before answering."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from pilah.nlp.normalize import is_valid_unicode
from pilah.service.deps import FeedbackDep, HolderDep
from pilah.service.errors import ApiError
from pilah.service.schemas import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackOut, summary="Store a correction for the next training run")
async def feedback(body: FeedbackIn, store: FeedbackDep, holder: HolderDep) -> dict[str, Any]:
    if not body.text.strip():
        raise ApiError("empty_text", "\"text\" is empty; send the document text being corrected.")
    if not is_valid_unicode(body.text):
        raise ApiError("invalid_utf8", "The text contains an unpaired surrogate; fix its encoding.")
    model = holder.current.model
    known = set(model.labels) | {model.abstain_label}
    unknown = [lab for lab in body.labels if lab not in known]
    if unknown:
        raise ApiError("invalid_request", f"Unknown label(s) {unknown}; use ids from GET /v1/taxonomy.")
    labels = [lab for lab in body.labels if lab != model.abstain_label]
    fid = await run_in_threadpool(
        store.add, doc_id=str(body.id), text=body.text, labels=labels, agencies=body.agencies,
        model_version=model.version,
    )
    return {"stored": True, "feedback_id": fid}
