"""Service settings: one pydantic-settings class, read from ``PILAH_*`` environment variables.

Validation happens when the settings object is built, i.e. at start-up, never at the first request. A bad
value becomes a :class:`SettingsError` naming the variable and what to set, never echoing the value (it may
be a secret, such as ``PILAH_ADMIN_API_KEY``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pilah.nlp.errors import PilahError
from pilah.service.jobs import default_model_dir

__all__ = ["Settings", "SettingsError", "get_settings", "load_settings"]


class SettingsError(PilahError):
    """One or more ``PILAH_*`` variables are invalid; ``problems`` holds one line per variable."""

    code = "invalid_setting"
    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PILAH_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port.")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    model_dir: Path = Field(default_factory=default_model_dir, description="Model directory to serve.")
    max_text_bytes: int = Field(100_000, ge=1, description="Largest accepted text, in UTF-8 bytes (413 above).")
    max_batch: int = Field(256, ge=1, le=10_000, description="Most documents in one batch request.")
    max_body_bytes: int = Field(32_000_000, ge=1024, description="Largest accepted request body.")
    feedback_db: Path = Field(Path("pilah-feedback.sqlite3"), description="SQLite file for corrections.")
    admin_api_key: SecretStr | None = Field(None, description="Key for /v1/admin/*; admin is off without it.")
    log_level: str = Field("info", description="Log level of the JSON access log.")
    graceful_timeout: int = Field(30, ge=0, description="Seconds to drain requests on shutdown.")
    keep_alive: int = Field(30, ge=1, description="Seconds an idle keep-alive connection stays open.")
    run_dir: Path | None = Field(
        None, description="Directory where the worker processes of one server share reloads (model.json); "
        "`pilah serve` with several workers makes a fresh one when unset."
    )
    inline_max_bytes: int = Field(
        2048, ge=0, description="Single texts up to this many UTF-8 bytes are analysed on the event loop "
        "(a few ms at most); larger ones and batches go to a worker thread. 0: always a worker thread."
    )

    # The messages of these validators are shown to users after the variable's name: no value in them.
    @field_validator("admin_api_key")
    @classmethod
    def _key_long_enough(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and 0 < len(v.get_secret_value()) < 16:
            raise ValueError("too short; set a key of at least 16 characters, or unset it to disable admin")
        if v is not None and not v.get_secret_value():
            return None
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("not a log level; set debug, info, warning or error")
        return v.lower()


# What to set, per variable, for the messages of bad values.
_HINTS = {
    "host": "an interface address such as 127.0.0.1",
    "port": "a TCP port from 1 to 65535",
    "workers": "a number of worker processes from 1 to 64",
    "model_dir": "a model directory",
    "max_text_bytes": "a size in bytes such as 100000",
    "max_batch": "a number of documents from 1 to 10000",
    "max_body_bytes": "a size in bytes of at least 1024, such as 32000000",
    "feedback_db": "a file path",
    "graceful_timeout": "a number of seconds such as 30",
    "keep_alive": "a number of seconds of at least 1, such as 30",
    "run_dir": "a directory path",
    "inline_max_bytes": "a size in bytes such as 2048 (0: always a worker thread)",
}


def _problem(err: Any) -> str:
    """``PILAH_X: what is wrong; what to set`` for one pydantic error, without the value given."""
    field = str(err["loc"][0]) if err.get("loc") else ""
    name = f"PILAH_{field.upper()}" if field else "PILAH_*"
    etype, ctx = err.get("type", ""), err.get("ctx") or {}
    if etype == "value_error":
        return f"{name}: {ctx.get('error', 'invalid value')}"
    what = {
        "int_parsing": "not a whole number", "int_type": "not a whole number", "int_from_float": "not a whole number",
        "greater_than_equal": f"below the minimum of {ctx.get('ge')}",
        "less_than_equal": f"above the maximum of {ctx.get('le')}",
    }.get(etype, "not a valid value")
    info = Settings.model_fields.get(field)
    default = info.get_default(call_default_factory=True) if info is not None else None
    unset = f"unset it for the default ({default})" if default is not None else "unset it"
    return f"{name}: {what}; set {_HINTS.get(field, 'a valid value')}, or {unset}"


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment; raises :class:`SettingsError` instead of pydantic's error, whose
    text prints the values given."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError([_problem(err) for err in exc.errors(include_input=False, include_url=False)]) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
