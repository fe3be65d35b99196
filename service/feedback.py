"""Reviewers' corrections, checked, then stored durably in SQLite so that the next training run can use them.

A correction is committed (``synchronous=FULL``, WAL journal) before the API answers 200: nothing
acknowledged is lost, also across a crash or restart. A document id names one text: a second correction of
the same id and text replaces the first at training time (the latest wins); the same id with another text is
refused (``feedback_conflict``), since training would otherwise drop the first text without a word.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pilah.nlp.errors import DataError, InputError

__all__ = ["Correction", "FeedbackStore", "check_agencies", "check_labels", "read_feedback_examples"]

Correction = dict[str, Any]


def check_labels(labels: Sequence[str], *, known: Sequence[str], abstain: str) -> list[str]:
    """The sectors to store for ``labels`` ([] for out of scope); raises InputError with what to send."""
    if not labels:
        raise InputError(
            f"\"labels\" is empty; give the correct sector ids (first = primary), or [\"{abstain}\"] for a text "
            "out of scope.", code="invalid_labels",
        )
    unknown = [lab for lab in labels if lab not in known and lab != abstain]
    if unknown:
        raise InputError(f"Unknown label(s) {unknown}; use sector ids from GET /v1/taxonomy, or \"{abstain}\" "
                         "for a text out of scope.", code="unknown_label")
    repeated = sorted({lab for lab in labels if labels.count(lab) > 1})
    if repeated:
        raise InputError(f"\"labels\" lists {repeated} more than once; give each sector once.",
                         code="invalid_labels")
    if abstain in labels and len(labels) > 1:
        raise InputError(f"\"{abstain}\" (out of scope) cannot go with sectors; send either the sectors or "
                         f"[\"{abstain}\"] alone.", code="invalid_labels")
    return [lab for lab in labels if lab != abstain]


def check_agencies(agencies: Sequence[Any], text: str) -> list[Correction]:
    """Agency mentions (objects with ``start``, ``end``, ``name``, ``text``) as stored: offsets inside the
    text, a name, ``text`` = the characters at the offsets. Raises InputError (``invalid_agency``)."""
    out = []
    for i, a in enumerate(agencies):
        if not 0 <= a.start < a.end <= len(text):
            raise InputError(
                f"agencies[{i}]: start {a.start} and end {a.end} must satisfy 0 <= start < end <= {len(text)} (the "
                "length of the text in characters); fix the offsets.", code="invalid_agency",
            )
        if not a.name.strip():
            raise InputError(f"agencies[{i}]: \"name\" is empty; give the agency's official name, e.g. \"Dinas "
                             "Sosial Kota Jambi\".", code="invalid_agency")
        written = text[a.start:a.end]
        if a.text is not None and a.text != written:
            raise InputError(
                f"agencies[{i}]: \"text\" is {a.text[:80]!r} but the text has {written[:80]!r} at {a.start}-{a.end}; "
                "fix the offsets or leave \"text\" out.", code="invalid_agency",
            )
        out.append({"start": a.start, "end": a.end, "name": a.name.strip(), "text": written})
    return out

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    text TEXT NOT NULL,
    labels TEXT NOT NULL,
    agencies TEXT,
    model_version TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_doc_id ON feedback (doc_id, feedback_id);
"""


class FeedbackStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA synchronous=FULL")
        return con

    def add(self, *, doc_id: str, text: str, labels: list[str], agencies: list[dict[str, Any]] | None,
            model_version: str | None) -> int:
        """Store one correction; raises InputError (``feedback_conflict``) when ``doc_id`` was stored with
        another text. The check and the insert are one transaction (``BEGIN IMMEDIATE``): two workers storing
        the same id at once cannot both pass it."""
        now = datetime.now(UTC).isoformat()
        with self._lock:
            con = self._connect()
            con.isolation_level = None  # transactions below are explicit
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    row = con.execute(
                        "SELECT text FROM feedback WHERE doc_id = ? ORDER BY feedback_id DESC LIMIT 1", (doc_id,)
                    ).fetchone()
                    if row is not None and row[0] != text:
                        raise InputError(
                            f"id {doc_id!r} is already stored with another text; a new correction of that document "
                            "must send the same text, another document needs its own id.",
                            code="feedback_conflict",
                        )
                    cur = con.execute(
                        "INSERT INTO feedback (doc_id, text, labels, agencies, model_version, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (doc_id, text, json.dumps(labels), json.dumps(agencies) if agencies is not None else None,
                         model_version, now),
                    )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
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
