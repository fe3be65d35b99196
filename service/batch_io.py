"""Inputs of batch runs: finding files, planning shards, reading one shard's rows.

A shard is a fixed range of rows of one input file. The plan depends only on the inputs and
``rows_per_shard``, so a resumed run finds the same shards (and skips the finished ones). Each shard is read
by whoever processes it (a local worker process or a Dask worker): nothing but the small ``ShardSpec``
travels.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pilah.corpus.jsonl import decode_json_line
from pilah.nlp.errors import DataError

__all__ = ["RawRow", "ShardSpec", "columns_of", "find_inputs", "plan_shards", "read_shard", "HEAD_ROWS"]

HEAD_ROWS = 1000  # JSON Lines have no header: the keys of this many first objects stand for one
SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".csv", ".csv.gz", ".tsv", ".tsv.gz", ".parquet")


def _format(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"), (".tsv", "tsv"),
                     (".parquet", "parquet")):
        if base.endswith(ext):
            return fmt, gz
    raise DataError(f"{path}: unsupported input type; use .jsonl, .csv, .tsv or .parquet (optionally .gz).")


def find_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Files, folders (searched recursively) and glob patterns -> sorted, de-duplicated input files."""
    found: set[Path] = set()
    for item in inputs:
        s = str(item)
        matches = [Path(m) for m in glob.glob(s, recursive=True)] if any(c in s for c in "*?[") else [Path(s)]
        if not matches:
            raise DataError(f"No input matches {s!r}; check the path or pattern.")
        for m in matches:
            if m.is_dir():
                found.update(p for p in m.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
            elif m.is_file():
                _format(m)
                found.add(m)
            else:
                raise DataError(f"Input {m} does not exist.")
    if not found:
        raise DataError("No input files found (looked for .jsonl, .csv, .tsv, .parquet, optionally .gz).")
    return sorted(found)


@dataclass(frozen=True)
class ShardSpec:
    index: int
    path: str
    fmt: str  # jsonl | csv | tsv | parquet
    gz: bool
    start_row: int  # 0-based index of the first row in the file
    n_rows: int
    byte_offset: int = -1  # plain JSONL: where the shard starts, so a worker can seek

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"


@dataclass(frozen=True)
class RawRow:
    row: int  # 1-based line (JSONL) or record (CSV data row, Parquet row) number
    record: dict[str, Any] | None
    error: tuple[str, str] | None = None  # (code, message) when the row cannot even be read


def _open_binary(path: Path, gz: bool) -> IO[bytes]:
    if gz:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
    return path.open("rb")


def _count_csv_rows(path: Path, gz: bool, delimiter: str) -> int:
    with _open_binary(path, gz) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)  # header
        return sum(1 for _ in reader)


def columns_of(path: Path, want: str | None = None) -> list[str] | None:
    """The columns of an input file, in file order: the header of a CSV/TSV, the schema of a Parquet file,
    the keys of the first :data:`HEAD_ROWS` JSON objects of a JSONL file, plus ``want`` if a later object has
    it (the rest of the file is searched for it, so that a file is never refused for lacking a column that
    only its later rows have). ``None`` when the file holds no header or no readable object (its rows, if
    any, will be errors of their own)."""
    fmt, gz = _format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    with _open_binary(path, gz) as fh:
        if fmt in ("csv", "tsv"):
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
            header = next(csv.reader(text, delimiter="\t" if fmt == "tsv" else ","), None)
            return list(header) if header else None
        keys: dict[str, None] = {}
        seen = 0
        for i, line in enumerate(fh):
            if i >= HEAD_ROWS:
                break
            obj, error = decode_json_line(line)
            if error is None and isinstance(obj, dict):
                seen += 1
                keys.update(dict.fromkeys(str(k) for k in obj))
        if want is not None and want not in keys:
            # A byte search first (as written, or \u-escaped): parsing every line of a big file is slow.
            forms = {json.dumps(want).encode(), json.dumps(want, ensure_ascii=False).encode("utf-8")}
            for line in fh:
                if not any(form in line for form in forms):
                    continue
                obj, error = decode_json_line(line)
                if error is None and isinstance(obj, dict) and want in obj:
                    seen += 1
                    keys[want] = None
                    break
        return list(keys) if seen else None


def plan_shards(files: Sequence[Path], rows_per_shard: int) -> list[ShardSpec]:
    """Cut every file into shards of at most ``rows_per_shard`` rows (one pass over each file).

    A shard never spans two files, so that a worker reads one range of one file: a file of 12,000 rows
    gives shards of 5,000, 5,000 and 2,000 rows, and five files of 3,000 rows give five shards.
    """
    if rows_per_shard < 1:
        raise DataError("--rows-per-shard must be at least 1.")
    specs: list[ShardSpec] = []
    for path in files:
        fmt, gz = _format(path)
        if fmt == "jsonl":
            offsets = [0]
            n = 0
            pos = 0
            with _open_binary(path, gz) as fh:
                for line in fh:
                    n += 1
                    pos += len(line)
                    if n % rows_per_shard == 0:
                        offsets.append(pos)
            for k in range((n + rows_per_shard - 1) // rows_per_shard):
                specs.append(ShardSpec(len(specs), str(path), fmt, gz, k * rows_per_shard,
                                       min(rows_per_shard, n - k * rows_per_shard),
                                       -1 if gz else offsets[k]))
        elif fmt in ("csv", "tsv"):
            n = _count_csv_rows(path, gz, "\t" if fmt == "tsv" else ",")
            for k in range((n + rows_per_shard - 1) // rows_per_shard):
                specs.append(ShardSpec(len(specs), str(path), fmt, gz, k * rows_per_shard,
                                       min(rows_per_shard, n - k * rows_per_shard)))
        else:
            import pyarrow.parquet as pq

            n = pq.ParquetFile(path).metadata.num_rows
            for k in range((n + rows_per_shard - 1) // rows_per_shard):
                specs.append(ShardSpec(len(specs), str(path), fmt, gz, k * rows_per_shard,
                                       min(rows_per_shard, n - k * rows_per_shard)))
    return specs


def _jsonl_rows(spec: ShardSpec) -> Iterator[RawRow]:
    path = Path(spec.path)
    with _open_binary(path, spec.gz) as fh:
        if spec.byte_offset >= 0:
            fh.seek(spec.byte_offset)
        else:
            for _ in range(spec.start_row):
                fh.readline()
        for i in range(spec.n_rows):
            raw = fh.readline()
            row = spec.start_row + i + 1
            obj, error = decode_json_line(raw)
            if error is not None:
                yield RawRow(row, None, error)
                continue
            if not isinstance(obj, dict):
                yield RawRow(row, None, ("not_an_object", "each line must be a JSON object"))
                continue
            yield RawRow(row, obj)


def _has_surrogates(values: Any) -> bool:
    return any(isinstance(v, str) and any("\udc80" <= c <= "\udcff" for c in v) for v in values)


def _csv_rows(spec: ShardSpec) -> Iterator[RawRow]:
    with _open_binary(Path(spec.path), spec.gz) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(text, delimiter="\t" if spec.fmt == "tsv" else ",")
        for _ in range(spec.start_row):
            next(reader, None)
        for i in range(spec.n_rows):
            rec = next(reader, None)
            row = spec.start_row + i + 1
            if rec is None:
                break
            if _has_surrogates(rec.values()):
                yield RawRow(row, None, ("invalid_utf8", "the row is not valid UTF-8; re-encode the file"))
                continue
            yield RawRow(row, dict(rec))


def _parquet_rows(spec: ShardSpec) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(spec.path)
    seen = 0
    row = spec.start_row
    end = spec.start_row + spec.n_rows
    for batch in pf.iter_batches(batch_size=4096):
        b_start, b_end = seen, seen + batch.num_rows
        seen = b_end
        if b_end <= spec.start_row:
            continue
        if b_start >= end:
            break
        lo = max(spec.start_row, b_start) - b_start
        hi = min(end, b_end) - b_start
        for rec in batch.slice(lo, hi - lo).to_pylist():
            row += 1
            yield RawRow(row, rec)


def read_shard(spec: ShardSpec) -> Iterator[RawRow]:
    if spec.fmt == "jsonl":
        return _jsonl_rows(spec)
    if spec.fmt in ("csv", "tsv"):
        return _csv_rows(spec)
    return _parquet_rows(spec)
