"""Request guard, HTTP metrics and access log as one plain ASGI middleware.

Starlette's ``@app.middleware("http")`` wraps every request in extra tasks and streams; at hundreds of
requests per second that overhead was a large share of a single-document request. This class does the same
job (request id, content-type and body-size checks, per-route Prometheus metrics, one JSON log line)
directly on the ASGI messages, once per request.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilah.service.errors import problem
from pilah.service.metrics import ServiceMetrics

__all__ = ["RequestGuard"]

log = logging.getLogger("pilah.access")
# Request ids: a random prefix per process and a counter. uuid4() per request read os.urandom each time,
# which cost ~0.1 ms here.
_PREFIX = uuid.uuid4().hex[:12]
_COUNTER = itertools.count(1)


def route_template(scope: Scope, path: str, root_path: str) -> str:
    """The route that answered, as its path template (``/v1/analyze``), or "none" for an unknown path.

    FastAPI leaves the matched API route in ``scope["route"]``; plain Starlette routes and mounts (the
    OpenAPI schema, /static) do not, so those few are matched again here, against the request's ``path``
    and ``root_path`` as they came in, before a mount rewrote them.
    """
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    app = scope.get("app")
    request_scope = {"type": "http", "method": scope["method"], "path": path, "root_path": root_path}
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        if isinstance(candidate, Route | Mount) and candidate.matches(request_scope)[0] is not Match.NONE:
            return candidate.path
    return "none"


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k: v for k, v in scope.get("headers", [])}
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:128] or f"{_PREFIX}-{next(_COUNTER):x}"
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500
        response_bytes = 0
        path, root_path = scope["path"], scope.get("root_path", "")  # as they came in, for route_template

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                headers_out = message.get("headers", [])
                for name, value in headers_out:
                    if name == b"content-length" and value.isdigit():
                        response_bytes = int(value)
                message["headers"] = [*headers_out, (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        refusal: Any = None
        length = headers.get(b"content-length", b"").decode("latin-1")
        if scope["method"] == "POST":
            ctype = headers.get(b"content-type", b"").decode("latin-1")
            if ctype.split(";")[0].strip().lower() != "application/json":
                refusal = (415, "unsupported_media_type",
                           f"Send JSON with Content-Type: application/json (got {ctype or 'none'}).")
            elif length.isdigit() and int(length) > self.max_body_bytes:
                refusal = (413, "body_too_large",
                           f"The body is {int(length):,} bytes, over the limit of {self.max_body_bytes:,}; send less "
                           "(fewer documents per batch) or raise PILAH_MAX_BODY_BYTES.")
        if refusal is None and scope["method"] == "POST" and not length.isdigit():
            # No Content-Length (chunked upload): read the body here, counting, and replay it to the app.
            body = bytearray()
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body_bytes:
                    refusal = (413, "body_too_large",
                               f"The body is over the limit of {self.max_body_bytes:,} bytes; send less (fewer "
                               "documents per batch) or raise PILAH_MAX_BODY_BYTES.")
                    break
            if refusal is None:
                receive = _replay(bytes(body))
        if refusal is not None:
            response = problem(Request(scope), *refusal)
            await response(scope, receive, send_with_id)
            self._log(rid, scope, status, start)
            return
        try:
            await self.app(scope, receive, send_with_id)
        finally:  # an exception escaping the app is still a (500) request, counted and logged
            duration = time.perf_counter() - start
            handler = route_template(scope, path, root_path)
            if self.metrics is not None and handler != "/metrics":
                self.metrics.observe_request(scope["method"], handler, status, duration,
                                             int(length) if length.isdigit() else 0, response_bytes)
            self._log(rid, scope, status, start)

    @staticmethod
    def _log(rid: str, scope: Scope, status: int, start: float) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info(
                "request",
                extra={"request_id": rid, "method": scope["method"], "path": scope["path"], "status": status,
                       "duration_ms": round((time.perf_counter() - start) * 1000, 2)},
            )


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
