"""Service settings: one pydantic-settings class, read from ``PILAH_*`` environment variables.

Validation happens when the settings object is built, i.e. at start-up, never at the first request.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pilah.service.jobs import default_model_dir

__all__ = ["Settings", "get_settings"]


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

    @field_validator("admin_api_key")
    @classmethod
    def _key_long_enough(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and 0 < len(v.get_secret_value()) < 16:
            raise ValueError("PILAH_ADMIN_API_KEY must be at least 16 characters (or unset to disable admin)")
        if v is not None and not v.get_secret_value():
            return None
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("PILAH_LOG_LEVEL must be debug, info, warning or error")
        return v.lower()


@lru_cache
def get_settings() -> Settings:
    return Settings()
