"""Dependency aliases shared by the routers.

Everything a route needs was built once by ``create_app`` and hangs off ``app.state``; the dependencies only
read it. ``create_app`` does not use ``app.dependency_overrides`` for its own wiring: while any override is
set, FastAPI rebuilds the dependant (``inspect.signature`` and all) of every dependency of every request,
which cost ~0.3 ms per request here. Tests may still override these functions.

They are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in its threadpool, and
a thread hand-off per dependency (three per analysis request) cost more than the analysis of a short text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from pilah.service.feedback import FeedbackStore
from pilah.service.metrics import ServiceMetrics
from pilah.service.settings import Settings
from pilah.service.state import ModelHolder

__all__ = ["HolderDep", "MetricsDep", "SettingsDep", "FeedbackDep"]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


async def _metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


async def _feedback(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.feedback
    return store


SettingsDep = Annotated[Settings, Depends(_settings)]
HolderDep = Annotated[ModelHolder, Depends(_holder)]
MetricsDep = Annotated[ServiceMetrics, Depends(_metrics)]
FeedbackDep = Annotated[FeedbackStore, Depends(_feedback)]
