"""Readers for labelled data: the shipped corpus (JSONL) and users' own CSV or JSONL files.

Every reader returns :class:`Example` objects and a list of :class:`Problem` (file, row, field, what to fix)
instead of failing on the first bad row, so that a user sees everything that is wrong in one run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pilah.corpus.jsonl import decode_json_line
from pilah.corpus.taxonomy import Taxonomy
from pilah.nlp.errors import DataError
from pilah.nlp.features import compose_text
from pilah.nlp.normalize import is_valid_unicode

__all__ = [
    "Example",
    "Problem",
    "corpus_files",
    "read_corpus",
    "read_labelled",
    "split_ids",
    "raise_on_problems",
    "summarize_problems",
]

TEST_SPLIT_FILE = "splits/test.txt"


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    labels: tuple[str, ...]
    title: str | None = None
    kind: str = "complaint"
    source: str = "written"
    register: str | None = None
    region: str | None = None
    agencies: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def full_text(self) -> str:
        """The text the classifier sees: headline and body."""
        return compose_text(self.title, self.text)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.field}: {self.message}"


def corpus_files() -> list[Path]:
    """The JSONL files of the shipped corpus, in a stable order."""
    root = Path(str(resources.files("pilah.corpus").joinpath("data")))
    return sorted(root.glob("*/*.jsonl"))


def split_ids() -> set[str]:
    """Ids of the fixed held-out test split."""
    text = resources.files("pilah.corpus").joinpath(TEST_SPLIT_FILE).read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def read_corpus(files: Sequence[Path] | None = None) -> list[Example]:
    """All records of the shipped corpus; raises :class:`DataError` if any record is malformed."""
    examples: list[Example] = []
    problems: list[Problem] = []
    for path in files or corpus_files():
        ex, pr = read_labelled(path)
        examples.extend(ex)
        problems.extend(pr)
    raise_on_problems(problems, what="The shipped corpus", skip_option=None)
    return examples


def _row_list(rows: Sequence[int], shown: int = 5) -> str:
    head = ", ".join(str(r) for r in rows[:shown])
    return f"{head} and {len(rows) - shown} more" if len(rows) > shown else head


def summarize_problems(problems: Sequence[Problem], *, limit: int = 20) -> list[str]:
    """At most ``limit`` lines: rows with the same problem (file, field, message) share one line.

    A bad column or a wrong separator makes every row fail the same way; one line with the row numbers and a
    count says it without flooding the terminal.
    """
    groups: dict[tuple[str, str, str], list[int]] = {}
    for p in problems:
        groups.setdefault((p.file, p.field, p.message), []).append(p.row)
    lines = []
    for (file, fld, message), rows in groups.items():
        if len(rows) == 1:
            lines.append(str(Problem(file, rows[0], fld, message)))
        else:
            lines.append(f"{file} rows {_row_list(rows)} ({len(rows)} rows): {fld}: {message}")
    if len(lines) > limit:
        rest = sum(len(rows) for rows in list(groups.values())[limit:])
        lines = [*lines[:limit], f"... and {rest} more problem(s) of {len(lines) - limit} other kind(s)"]
    return lines


def raise_on_problems(
    problems: Sequence[Problem], *, what: str, limit: int = 20, skip_option: str | None = "--skip-invalid"
) -> None:
    """Raise one :class:`DataError` listing ``problems`` (grouped, at most ``limit`` lines).

    ``skip_option`` is the command's option that leaves invalid rows out; ``None`` when it has none.
    """
    if not problems:
        return
    shown = "\n".join(f"  {line}" for line in summarize_problems(problems, limit=limit))
    advice = f"fix them or pass {skip_option} to leave those rows out" if skip_option else "fix them"
    raise DataError(f"{what} has {len(problems)} problem(s); {advice}:\n{shown}", code="invalid_data")


def _labels(value: Any, sep: str) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    if isinstance(value, str):
        for s in (sep, ",", ";"):
            if s in value:
                return [v.strip() for v in value.split(s) if v.strip()]
        return [value.strip()] if value.strip() else []
    return None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(row number, record or None, error) for each row of a JSONL or CSV file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".json", ".ndjson"):
            with path.open(encoding="utf-8-sig") as fh:  # -sig: a byte-order mark is not part of the data
                for n, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    # The decoder `pilah analyze` and `pilah batch` use: it also refuses NaN, 5,000-digit numbers and
                    # nesting too deep to parse (json.loads raised those past this reader as a traceback).
                    obj, error = decode_json_line(line.encode("utf-8"))
                    if error is not None:
                        yield n, None, f"{error[1]}; fix the line"
                        continue
                    if not isinstance(obj, dict):
                        yield n, None, "a line must hold one JSON object"
                        continue
                    yield n, obj, None
        elif suffix in (".csv", ".tsv"):
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
                for n, row in enumerate(reader, 2):  # row 1 is the header
                    yield n, dict(row), None
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use .jsonl, .csv or .tsv.")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason}); re-save it as UTF-8.") from exc
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror}. Check the path.") from exc


def _header(path: Path) -> list[str] | None:
    """The column names of a CSV/TSV file (``None`` for JSONL or an empty file)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv"):
        return None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ","), None)


def _check_columns(
    path: Path, rows: Sequence[tuple[int, dict[str, Any] | None, str | None]],
    wanted: Sequence[tuple[str, str]], hints: Mapping[str, str],
) -> None:
    """Raise one :class:`DataError` (``missing_column``) when a needed column is in no row at all.

    Otherwise every row would be reported alone with the same problem.
    """
    header = _header(path)
    records = [rec for _, rec, _ in rows if rec is not None]
    if header is None and not records:
        return  # an empty file or nothing but bad lines: the row problems say it
    columns = header if header is not None else list(dict.fromkeys(k for rec in records for k in rec))
    kind = "column" if header is not None else "field"
    missing = [(col, key) for col, key in wanted if col not in columns]
    if not missing:
        return
    listed = ", ".join(columns) if columns else "(none)"
    parts = []
    for col, key in missing:
        role = "text" if key == "text_field" else "label"
        hint = f" (name the {role} {kind} with {hints[key]})" if key in hints else ""
        parts.append(f"{kind} {col!r} not found{hint}")
    raise DataError(f"{path}: {'; '.join(parts)}; the {kind}s are {listed}.", code="missing_column")


def read_labelled(
    path: str | Path,
    *,
    text_field: str = "text",
    label_field: str = "sectors",
    id_field: str = "id",
    title_field: str = "title",
    label_sep: str = "|",
    taxonomy: Taxonomy | None = None,
    hints: Mapping[str, str] | None = None,
) -> tuple[list[Example], list[Problem]]:
    """Read labelled examples from a JSONL or CSV/TSV file.

    Labels may be a JSON list or a string separated by ``label_sep`` (or a comma or semicolon). With a
    ``taxonomy``, every label must be one of its sectors or its abstain label.

    A text or label column that no row has raises :class:`DataError` (``missing_column``) at once. ``hints``
    holds the calling command's advice: ``text_field`` and ``label_field`` (its options that name those
    columns, e.g. ``"--text-field"``) and ``unknown_label`` (appended to the list of known labels); without
    one, the message names no option the command might not have.
    """
    path = Path(path)
    hints = hints or {}
    examples: list[Example] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    known = taxonomy.labels if taxonomy else None
    name = str(path)
    rows = list(_rows(path))
    _check_columns(path, rows, [(text_field, "text_field"), (label_field, "label_field")], hints)
    label_hint = f" {hints['unknown_label']}" if "unknown_label" in hints else ""
    for n, rec, err in rows:
        if rec is None:
            problems.append(Problem(name, n, "-", err or "unreadable row"))
            continue
        text = rec.get(text_field)
        if not isinstance(text, str):
            problems.append(
                Problem(name, n, text_field, f"missing or not a string; every row needs a {text_field!r} column")
            )
            continue
        if not text.strip():
            problems.append(Problem(name, n, text_field, "empty text; fill it in or remove the row"))
            continue
        bad_field = next(
            (f for f in (text_field, title_field, id_field) if isinstance(rec.get(f), str)
             and not is_valid_unicode(rec[f])),
            None,
        )
        if bad_field is not None:
            problems.append(
                Problem(name, n, bad_field, "not Unicode text (an unpaired surrogate such as \\ud800); "
                        "fix the file's encoding")
            )
            continue
        labels = _labels(rec.get(label_field), label_sep)
        if not labels:
            problems.append(
                Problem(name, n, label_field, f"no label; give at least one sector id in {label_field!r}")
            )
            continue
        if known is not None:
            unknown = [lab for lab in labels if lab not in known]
            if unknown:
                problems.append(
                    Problem(
                        name, n, label_field,
                        f"unknown label(s) {unknown}; use one of {sorted(known)}{label_hint}",
                    )
                )
                continue
        rid = rec.get(id_field)
        rid = str(rid) if rid not in (None, "") else f"{path.stem}:{n}"
        if rid in seen:
            problems.append(Problem(name, n, id_field, f"duplicate id {rid!r}; ids must be unique"))
            continue
        seen.add(rid)
        title = rec.get(title_field)
        examples.append(
            Example(
                id=rid,
                text=text,
                labels=tuple(labels),
                title=title if isinstance(title, str) and title.strip() else None,
                kind=str(rec.get("kind") or "complaint"),
                source=str(rec.get("source") or "written"),
                register=rec.get("register"),
                region=rec.get("region"),
                agencies=tuple(rec.get("agencies") or ()),
            )
        )
    return examples, problems

