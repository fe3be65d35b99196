"""Dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from pilah.service.feedback import FeedbackStore
from pilah.service.metrics import ServiceMetrics
from pilah.service.settings import Settings, get_settings
from pilah.service.state import ModelHolder

__all__ = ["HolderDep", "MetricsDep", "SettingsDep", "FeedbackDep"]


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


def _feedback(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.feedback
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[ModelHolder, Depends(_holder)]
MetricsDep = Annotated[ServiceMetrics, Depends(_metrics)]
FeedbackDep = Annotated[FeedbackStore, Depends(_feedback)]
