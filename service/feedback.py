"""Reviewers' corrections, stored durably in SQLite so that the next training run can use them.

A correction is committed (``synchronous=FULL``, WAL journal) before the API answers 200: nothing
acknowledged is lost, also across a crash or restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pilah.nlp.errors import DataError

__all__ = ["FeedbackStore", "read_feedback_examples"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    text TEXT NOT NULL,
    labels TEXT NOT NULL,
    agencies TEXT,
    model_version TEXT,
    created_at TEXT NOT NULL
)
"""


class FeedbackStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA synchronous=FULL")
        return con

    def add(self, *, doc_id: str, text: str, labels: list[str], agencies: list[dict[str, Any]] | None,
            model_version: str | None) -> int:
        now = datetime.now(UTC).isoformat()
        with self._lock:
            con = self._connect()
            try:
                with con:
                    cur = con.execute(
                        "INSERT INTO feedback (doc_id, text, labels, agencies, model_version, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (doc_id, text, json.dumps(labels), json.dumps(agencies) if agencies is not None else None,
                         model_version, now),
                    )
                return int(cur.lastrowid or 0)
            finally:
                con.close()

    def rows(self) -> list[dict[str, Any]]:
        con = self._connect()
        try:
            cur = con.execute(
                "SELECT feedback_id, doc_id, text, labels, agencies, model_version, created_at FROM feedback "
                "ORDER BY feedback_id"
            )
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()


def read_feedback_examples(path: str | Path, abstain: str) -> list[Any]:
    """Corrections as training examples; the latest correction of a document wins."""
    from pilah.corpus.records import Example

    if not Path(path).is_file():
        raise DataError(f"No feedback database at {path}; check --feedback (PILAH_FEEDBACK_DB of the service).")
    latest: dict[str, dict[str, Any]] = {}
    for row in FeedbackStore(path).rows():
        latest[row["doc_id"]] = row
    out = []
    for doc_id, row in latest.items():
        labels = json.loads(row["labels"]) or [abstain]
        out.append(Example(id=f"feedback:{doc_id}", text=row["text"], labels=tuple(labels), source="feedback"))
    return out
