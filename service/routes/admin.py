"""POST /v1/admin/reload: validate a model directory, smoke-test it, swap it in in every worker process."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from pilah.service.deps import HolderDep, MetricsDep, SettingsDep
from pilah.service.errors import ApiError
from pilah.service.reload import reload_model
from pilah.service.schemas import ReloadIn, ReloadOut

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/reload", response_model=ReloadOut,
             summary="Load a model directory and swap it in, in every worker (needs X-API-Key)")
async def reload(
    request: Request,
    holder: HolderDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    body: ReloadIn | None = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    if settings.admin_api_key is None:
        raise ApiError("admin_disabled", "Admin is disabled: set PILAH_ADMIN_API_KEY to enable reloads.")
    expected = settings.admin_api_key.get_secret_value().encode()
    if not x_api_key or not hmac.compare_digest(x_api_key.encode(), expected):
        raise ApiError("unauthorized", "Missing or wrong X-API-Key header.")
    model_dir = Path(body.model_dir) if body and body.model_dir else settings.model_dir
    return await reload_model(holder, metrics, request.app.state.board, model_dir,
                              allow_label_change=bool(body and body.allow_label_change))
