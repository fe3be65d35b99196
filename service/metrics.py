"""Prometheus metrics of the service: HTTP requests per route, predictions, errors, the model served.

The HTTP metrics have the names, labels and buckets of prometheus-fastapi-instrumentator's defaults (which
produced them before), so dashboards and alerts keep working. ``RequestGuard`` records them: the
instrumentator's own middleware matched every request against every route again to name its handler and
built a Request and a Response object per request, a measurable share of a single-document request.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import generate_latest as _generate_latest

__all__ = ["ServiceMetrics", "CONTENT_TYPE_LATEST"]

_LATENCY_HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5,
                          10, 30, 60, float("inf"))
_LATENCY_LOWR_BUCKETS = (0.1, 0.5, 1, float("inf"))


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.predictions = Counter(
            "pilah_predictions_total", "Documents classified, by primary sector.", ["sector"], registry=registry
        )
        self.errors = Counter(
            "pilah_errors_total", "Error responses and per-document errors, by code.", ["code"], registry=registry
        )
        # "liveall": with PROMETHEUS_MULTIPROC_DIR, the value of every live worker (a dead one's is dropped).
        self.model = Gauge(
            "pilah_model_info", "The model being served (value 1).", ["name", "version"], registry=registry,
            multiprocess_mode="liveall",
        )
        self._served: tuple[str, str] | None = None
        self.requests = Counter(
            "http_requests_total", "Total number of requests by method, status and handler.",
            ["method", "status", "handler"], registry=registry,
        )
        self.request_size = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler. Only value of header is respected. Otherwise "
            "ignored. No percentile calculated. ", ["handler"], registry=registry,
        )
        self.response_size = Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler. Only value of header is respected. Otherwise "
            "ignored. No percentile calculated. ", ["handler"], registry=registry,
        )
        self.latency_highr = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels. Made for more accurate percentile "
            "calculations. ", buckets=_LATENCY_HIGHR_BUCKETS, registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler. Made to be only used if aggregation by handler is "
            "important. ", ["method", "handler"], buckets=_LATENCY_LOWR_BUCKETS, registry=registry,
        )
        # Labelled children, looked up once per label combination: `.labels()` validates and locks each call.
        self._children: dict[tuple[str, str, str], tuple[Counter, Summary, Summary, Histogram]] = {}

    def set_model(self, name: str, version: str) -> None:
        old, self._served = self._served, (name, version)
        if old is not None and old != self._served:
            # Set to 0 first: with PROMETHEUS_MULTIPROC_DIR a removed series stays in the worker's file with
            # its last value (clear() is not supported there), so the old model would still read 1.
            self.model.labels(*old).set(0)
            if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
                self.model.remove(*old)
        self.model.labels(name=name, version=version).set(1)

    def observe_request(self, method: str, handler: str, status: int, seconds: float, request_bytes: int,
                        response_bytes: int) -> None:
        """Count one answered request; ``handler`` is the route template ("none" for unknown paths)."""
        key = (method, f"{str(status)[:1]}xx", handler)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method=key[0], status=key[1], handler=handler),
                        self.request_size.labels(handler=handler), self.response_size.labels(handler=handler),
                        self.latency.labels(method=method, handler=handler))
            if len(self._children) < 10_000:  # bounded: methods and statuses of unknown paths are all "none"
                self._children[key] = children
        total, in_size, out_size, latency = children
        total.inc()
        in_size.observe(request_bytes)
        out_size.observe(response_bytes)
        self.latency_highr.observe(seconds)
        latency.observe(seconds)

    def exposition(self) -> bytes:
        """The text format; with ``PROMETHEUS_MULTIPROC_DIR`` set, the aggregate of all worker processes."""
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return _generate_latest(registry)
        return _generate_latest(self.registry)
