"""GET /v1/model, /v1/taxonomy, /healthz, /readyz."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pilah.models.analysis import Document
from pilah.service.deps import HolderDep
from pilah.service.errors import ApiError
from pilah.service.schemas import ModelInfo
from pilah.service.state import SMOKE_TEXT

router = APIRouter(tags=["service"])


@router.get("/v1/model", response_model=ModelInfo, summary="The model being served")
def model_info(holder: HolderDep) -> dict[str, Any]:
    return holder.info()


@router.get("/v1/taxonomy", summary="The sectors of the served model's taxonomy")
def taxonomy(holder: HolderDep) -> dict[str, Any]:
    tax: dict[str, Any] | None = holder.current.model.meta.get("taxonomy")
    if tax is None:
        from pilah.corpus.taxonomy import load_taxonomy

        return load_taxonomy().to_dict()
    return tax


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The model is loaded and answering")
def readyz(holder: HolderDep) -> dict[str, Any]:
    if not holder.ready:
        raise ApiError("model_not_ready", "The model is still loading.")
    result = holder.current.classify([Document(id=None, text=SMOKE_TEXT)])[0]
    return {"status": "ready", "model": holder.current.model_info, "smoke": result["sector"]["label"]}
