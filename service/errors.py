"""Every error leaves the API as ``application/problem+json`` (RFC 9457) with a stable ``code``.

The exception-to-status mapping lives here and nowhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilah.nlp.errors import InputError, ModelError, PilahError

__all__ = ["ApiError", "install_error_handlers", "problem", "STATUS_BY_CODE"]

log = logging.getLogger("pilah.service")

STATUS_BY_CODE = {
    "invalid_json": 400,
    "not_an_object": 422,
    "missing_text": 422,
    "text_not_string": 422,
    "invalid_id": 422,
    "invalid_utf8": 400,
    "title_not_string": 422,
    "region_not_string": 422,
    "unknown_region": 422,
    "ambiguous_region": 422,
    "empty_text": 422,
    "invalid_request": 422,
    "invalid_labels": 422,
    "unknown_label": 422,
    "invalid_agency": 422,
    "feedback_conflict": 409,
    "text_too_large": 413,
    "body_too_large": 413,
    "batch_too_large": 413,
    "unsupported_media_type": 415,
    "not_found": 404,
    "method_not_allowed": 405,
    "unauthorized": 401,
    "admin_disabled": 403,
    "label_set_changed": 409,
    "model_error": 422,
    "model_incompatible": 422,
    "model_integrity": 422,
    "model_not_ready": 503,
    "internal_error": 500,
}


class ApiError(Exception):
    def __init__(self, code: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status or STATUS_BY_CODE.get(code, 400)


def problem(request: Request, status: int, code: str, detail: str) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    body: dict[str, Any] = {
        "type": f"https://pilah.invalid/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
        "request_id": rid,
    }
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.errors.labels(code=code).inc()
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_AGENCY_SHAPE = '{"start": int, "end": int, "name": str, "text"?: str}'


def _field_code(err: Any) -> tuple[str, str] | None:
    """The code of a pydantic error in a field that has its own code (feedback: id, labels, agencies)."""
    loc = [str(x) for x in err.get("loc", ())]
    field = loc[1] if len(loc) > 1 and loc[0] == "body" else None
    if field == "id":
        return "invalid_id", "\"id\" must be a string or an integer."
    if field == "labels":
        return ("invalid_labels", "\"labels\" must be a list of sector ids (strings) such as [\"adminduk\"]; "
                "see GET /v1/taxonomy.")
    if field == "agencies":
        where = "".join(f"[{x}]" if x.isdigit() else f".{x}" for x in loc[2:])
        return "invalid_agency", f"agencies{where}: {err.get('msg', 'invalid')}; each agency is {_AGENCY_SHAPE}."
    return None


def _validation_code(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    for err in errors:
        etype = err.get("type", "")
        loc = [str(x) for x in err.get("loc", ())]
        if etype == "json_invalid":
            return "invalid_json", f"The body is not valid JSON: {err.get('msg', '')}."
        if (coded := _field_code(err)) is not None:  # first: an agency's "text" is not the document's
            return coded
        if loc[-1:] == ["text"] and etype == "missing":
            return "missing_text", "The document has no \"text\" field; add the text to analyse."
        if loc[-1:] == ["text"] and etype == "string_type":
            return "text_not_string", "\"text\" must be a string."
        if loc == ["body"] and etype in ("model_attributes_type", "dict_type"):
            return "not_an_object", "The body must be a JSON object."
        if loc[-1:] == ["body"] and etype == "missing":
            return "invalid_json", "The request has no JSON body."
    first = errors[0] if errors else {}
    where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "body"
    return "invalid_request", f"\"{where}\": {first.get('msg', 'invalid request')}; see /docs for the request schema."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return problem(request, exc.status, exc.code, exc.detail)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return problem(request, STATUS_BY_CODE.get(exc.code, 422), exc.code, exc.message)

    @app.exception_handler(ModelError)
    async def _model(request: Request, exc: ModelError) -> JSONResponse:
        return problem(request, STATUS_BY_CODE.get(exc.code, 422), exc.code, exc.message)

    @app.exception_handler(PilahError)
    async def _pilah(request: Request, exc: PilahError) -> JSONResponse:
        return problem(request, 400, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, detail = _validation_code(exc)
        return problem(request, STATUS_BY_CODE[code], code, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A 400 raised while reading the body is a body FastAPI could not decode as JSON; the cause says why.
            cause = exc.__cause__
            if isinstance(cause, UnicodeDecodeError):
                return problem(request, 400, "invalid_utf8",
                               f"Byte {cause.start} of the body is not UTF-8; send JSON encoded as UTF-8.")
            reason = f" ({str(cause)[:120]})" if cause is not None else ""
            return problem(request, 400, "invalid_json", f"The body could not be read as JSON{reason}.")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = {
            404: f"No route {request.url.path}; see /docs for the API.",
            405: f"{request.method} is not allowed on {request.url.path}; see /docs.",
        }.get(exc.status_code, str(exc.detail))
        return problem(request, exc.status_code, code, detail)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error", extra={"request_id": getattr(request.state, "request_id", None)})
        return problem(request, 500, "internal_error", "Internal error; it has been logged with the request id.")
