"""Dependency aliases shared by the routers.

Everything a route needs was built once by ``create_app`` and hangs off ``app.state``; the dependencies only
read it. ``create_app`` does not use ``app.dependency_overrides`` for its own wiring: while any override is
set, FastAPI rebuilds the dependant (``inspect.signature`` and all) of every dependency of every request,
which cost ~0.3 ms per request here. Tests may still override these functions.

They are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in its threadpool, and
a thread hand-off per dependency (three per analysis request) cost more than the analysis of a short text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from pilah.service.feedback import FeedbackStore
from pilah.service.metrics import ServiceMetrics
from pilah.service.settings import Settings
from pilah.service.state import ModelHolder

__all__ = ["HolderDep", "MetricsDep", "SettingsDep", "FeedbackDep"]


def _from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency returning ``app.state.<name>``."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"_{name}"
    return dependency


_settings = _from_state("settings")
_holder = _from_state("holder")
_metrics = _from_state("metrics")
_feedback = _from_state("feedback")

SettingsDep = Annotated[Settings, Depends(_settings)]
HolderDep = Annotated[ModelHolder, Depends(_holder)]
MetricsDep = Annotated[ServiceMetrics, Depends(_metrics)]
FeedbackDep = Annotated[FeedbackStore, Depends(_feedback)]
