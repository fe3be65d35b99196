"""Prometheus metrics beyond the per-route request counts and latencies of the instrumentator."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["ServiceMetrics"]


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.predictions = Counter(
            "pilah_predictions_total", "Documents classified, by primary sector.", ["sector"], registry=registry
        )
        self.errors = Counter(
            "pilah_errors_total", "Error responses and per-document errors, by code.", ["code"], registry=registry
        )
        self.model = Gauge(
            "pilah_model_info", "The model being served (value 1).", ["name", "version"], registry=registry
        )

    def set_model(self, name: str, version: str) -> None:
        self.model.clear()
        self.model.labels(name=name, version=version).set(1)
