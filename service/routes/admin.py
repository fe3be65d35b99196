"""POST /v1/admin/reload: validate a model directory, smoke-test it, swap it in atomically."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header
from starlette.concurrency import run_in_threadpool

from pilah.service.deps import HolderDep, MetricsDep, SettingsDep
from pilah.service.errors import ApiError
from pilah.service.schemas import ReloadIn
from pilah.service.state import freeze_heap, load_and_check

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/reload", summary="Load a model directory and swap it in (needs X-API-Key)")
async def reload(
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
    async with holder.reload_lock:
        previous = holder.current.model_info
        # Loading is slow and CPU-bound: off the event loop, while the old model keeps serving.
        analyzer = await run_in_threadpool(load_and_check, model_dir)
        holder.swap(analyzer, model_dir)
        freeze_heap()
    metrics.set_model(analyzer.model.name, analyzer.model.version)
    return {"status": "reloaded", "previous": previous, "model": analyzer.model_info, "path": str(model_dir)}
