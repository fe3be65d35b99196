"""Batch analysis of archives: ``pilah batch INPUT... --out DIR``.

Every input row ends up exactly once either in a Parquet shard (``part-NNNNN.parquet``) or in that shard's
errors file (``part-NNNNN.errors.jsonl``). A shard is written under a temporary name and renamed into place,
then its ``part-NNNNN.done.json`` marker is written the same way, so a run killed at any moment leaves only
complete shards behind; ``--resume`` skips the shards that have a marker and redoes the rest.

One function, :func:`process_shard`, does the work for both engines: the local engine runs it in a pool of
worker processes, the Dask engine submits it as tasks (with explicit retries). Workers read their own rows
and write their own files; only small count dictionaries travel back.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pilah.nlp.errors import DataError, InputError, ModelError, PilahError
from pilah.service.batch_io import RawRow, ShardSpec, columns_of, find_inputs, plan_shards, read_shard

__all__ = ["BatchOptions", "ENGINES", "model_identity", "parse_date", "process_shard", "result_schema",
           "run_batch", "SCHEDULER_ENV"]

SCHEDULER_ENV = "PILAH_DASK_SCHEDULER"
ENGINES = ("local", "dask")
_ANALYZERS: dict[str, Any] = {}


@dataclass(frozen=True)
class BatchOptions:
    out_dir: str
    model_dir: str
    id_col: str = "id"
    text_col: str = "text"
    title_col: str = "title"
    date_col: str = "date"
    max_chars: int = 1_000_000
    keep_text: bool = True
    jsonl: bool = False
    batch_size: int = 256
    model_fingerprint: str | None = None  # set by run_batch: workers refuse another model at model_dir


# The options that change what is written, with their command-line names: a resumed run must repeat them.
OUTPUT_OPTIONS = {"id_col": "--id-col", "text_col": "--text-col", "title_col": "--title-col",
                  "date_col": "--date-col", "max_chars": "--max-chars", "keep_text": "--text/--no-text",
                  "jsonl": "--jsonl"}


def model_identity(model: Any) -> dict[str, Any]:
    """Name, version, training data hash and a fingerprint of the model's files (their SHA-256 in meta.json)."""
    meta = model.meta
    files = meta["files"]  # load_model refuses a model without them: a {} here would match every model
    fingerprint = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"name": model.name, "version": model.version, "data_hash": meta.get("data_hash"),
            "fingerprint": fingerprint}


def _analyzer(model_dir: str, fingerprint: str | None = None) -> Any:
    """The model of this process, loaded once (per worker process, not per shard).

    With a ``fingerprint`` (the model the run was planned with), a worker that finds another model at
    ``model_dir`` (a Dask worker machine with another copy, a model retrained in place) refuses to work.
    """
    analyzer = _ANALYZERS.get(model_dir)
    if analyzer is None or (fingerprint and model_identity(analyzer.model)["fingerprint"] != fingerprint):
        from pilah.service.jobs import load_analyzer

        analyzer = _ANALYZERS[model_dir] = load_analyzer(Path(model_dir))
        if fingerprint and model_identity(analyzer.model)["fingerprint"] != fingerprint:
            raise ModelError(
                f"The model at {model_dir} on this worker ({analyzer.model.name} {analyzer.model.version}) is "
                "not the one the run was planned with; give every worker the same model directory.",
                code="model_mismatch",
            )
    return analyzer


def result_schema() -> Any:
    """The Arrow schema of the batch result shards (what `pilah report` reads)."""
    import pyarrow as pa

    agency = pa.struct([
        ("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("name", pa.string()),
        ("acronym", pa.string()), ("kind", pa.string()), ("level", pa.string()), ("region_code", pa.string()),
        ("region_name", pa.string()), ("region_inferred", pa.bool_()), ("sectors", pa.list_(pa.string())),
    ])
    region = pa.struct([
        ("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("code", pa.string()),
        ("name", pa.string()), ("level", pa.string()),
    ])
    return pa.schema([
        ("id", pa.string()), ("source", pa.string()), ("row", pa.int64()), ("date", pa.string()),
        ("title", pa.string()), ("text", pa.string()), ("sector", pa.string()), ("sector_score", pa.float64()),
        ("labels", pa.list_(pa.string())),
        ("sectors", pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())]))),
        ("agencies", pa.list_(agency)), ("regions", pa.list_(region)), ("model_version", pa.string()),
    ])


def _missing(value: Any) -> bool:
    """No value: absent, null, NaN (a spreadsheet's empty numeric cell) or an empty CSV cell."""
    return value is None or (isinstance(value, float) and value != value) or value == ""


def parse_date(value: Any) -> str | None:
    """An ISO 8601 date or date-time (string, or a Parquet date/timestamp) as ISO text; ``None`` when empty.

    ``2026-01-31`` and ``20260131`` give ``2026-01-31``; ``2026-01-31 08:30`` and ``2026-01-31T08:30:00``
    give ``2026-01-31T08:30:00``; an offset (``+07:00``, ``Z``) is kept. Raises ``InputError``
    (``invalid_date``) for anything else: another date format, a number, a list or an object.
    """
    if _missing(value):
        return None
    if isinstance(value, datetime | date):  # Parquet date32 / timestamp columns
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).isoformat()
        except ValueError:
            pass
        shown = repr(text if len(text) <= 40 else text[:40] + "...")
    else:
        shown = f"{type(value).__name__} {json.dumps(value, default=str)[:40]}"
    raise InputError(
        f"the date {shown} is not an ISO 8601 date; write it as 2026-01-31 or 2026-01-31T08:30:00+07:00, "
        "leave it empty, or name another column with --date-col",
        code="invalid_date",
    )


# parse_document names the fields of `pilah analyze`; in batch they are columns chosen by options.
_TEXT = ("text", "text_col", "--text-col")
_FIELD_OPTION = {"invalid_id": ("id", "id_col", "--id-col"), "title_not_string": ("title", "title_col", "--title-col"),
                 "missing_text": _TEXT, "text_not_string": _TEXT, "empty_text": _TEXT}


def _record_id(rec: dict[str, Any], opts: BatchOptions) -> Any:
    """The row's id as the document and its error row both take it (None when the cell is empty)."""
    value = rec.get(opts.id_col)
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        # pandas writes an integer column with a gap as float64 (1.0, NaN, 3.0): the ids were integers.
        return int(value)
    return value


def _document(raw: RawRow, opts: BatchOptions) -> tuple[Any, str | None]:
    """The row's validated Document and its date, or raises InputError with the code `pilah analyze` uses."""
    from pilah.models.analysis import parse_document

    rec = raw.record or {}
    obj = {key: None if _missing(rec.get(col)) else rec.get(col)
           for key, col in (("text", opts.text_col), ("title", opts.title_col))}
    obj["id"] = _record_id(rec, opts)
    if obj["text"] is None and rec.get(opts.text_col) == "":
        obj["text"] = ""  # an empty CSV cell is an empty text, not a missing one
    try:
        doc = parse_document(obj, max_chars=opts.max_chars)
    except InputError as exc:
        field_name, attr, flag = _FIELD_OPTION.get(exc.code, (None, None, None))
        column = getattr(opts, attr) if attr else None
        if column is not None and column != field_name:
            raise InputError(f"{exc.message} (here \"{field_name}\" is the column {column!r} of {flag})",
                             code=exc.code) from exc
        raise
    try:
        return doc, parse_date(rec.get(opts.date_col))
    except InputError as exc:
        raise InputError(f"column {opts.date_col!r}: {exc.message}", code=exc.code) from exc


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def process_shard(spec: ShardSpec, opts: BatchOptions) -> dict[str, Any]:
    """Analyse one shard and write its files; returns its counts. Idempotent: rerunning rewrites the same."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pilah.models.analysis import valid_id

    out = Path(opts.out_dir)
    analyzer = _analyzer(opts.model_dir, opts.model_fingerprint)
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    pending: list[tuple[Any, str | None, RawRow]] = []
    n_in = 0

    def flush() -> None:
        results = analyzer.analyze([d for d, _, _ in pending])
        for (doc, day, raw), res in zip(pending, results, strict=True):
            rid = str(doc.id) if doc.id is not None else f"{Path(spec.path).name}:{raw.row}"
            rows.append({
                "id": rid, "source": spec.path, "row": raw.row, "date": day,
                "title": doc.title, "text": doc.text if opts.keep_text else None,
                "sector": res["sector"]["label"], "sector_score": res["sector"]["score"],
                "labels": res["labels"], "sectors": res["sectors"],
                "agencies": [
                    {**{k: a.get(k) for k in ("text", "start", "end", "name", "acronym", "kind", "level",
                                               "region_inferred", "sectors")},
                     "region_code": (a.get("region") or {}).get("code"),
                     "region_name": (a.get("region") or {}).get("name")}
                    for a in res["agencies"]
                ],
                "regions": res["regions"], "model_version": res["model"]["version"],
            })
        pending.clear()

    for raw in read_shard(spec):
        n_in += 1
        raw_id = _record_id(raw.record or {}, opts)
        rid = str(raw_id) if valid_id(raw_id) and raw_id is not None else None  # as `pilah analyze` echoes it
        if raw.error is not None:
            errors.append({"id": rid, "source": spec.path, "row": raw.row, "code": raw.error[0],
                           "message": raw.error[1]})
            continue
        try:
            doc, day = _document(raw, opts)
        except InputError as exc:
            errors.append({"id": rid, "source": spec.path, "row": raw.row, "code": exc.code,
                           "message": exc.message})
            continue
        pending.append((doc, day, raw))
        if len(pending) >= opts.batch_size:
            flush()
    if pending:
        flush()

    table = pa.Table.from_pylist(rows, schema=result_schema())
    if not opts.keep_text:
        table = table.drop_columns(["text"])
    _atomic_write(out / f"{spec.name}.parquet", lambda p: pq.write_table(table, p, compression="zstd"))
    _atomic_write(out / f"{spec.name}.errors.jsonl", lambda p: p.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors), encoding="utf-8"))
    if opts.jsonl:
        _atomic_write(out / f"{spec.name}.jsonl", lambda p: p.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in table.to_pylist()), encoding="utf-8"))
    done = {"shard": spec.index, "source": spec.path, "start_row": spec.start_row, "rows": n_in,
            "ok": len(rows), "errors": len(errors), "error_codes": dict(Counter(e["code"] for e in errors))}
    _atomic_write(out / f"{spec.name}.done.json", lambda p: p.write_text(json.dumps(done), encoding="utf-8"))
    return done


# -- engines ------------------------------------------------------------------------------------------------

def _worker_init() -> None:
    # Each worker uses one core; BLAS threads would only compete with the other workers.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _run_local(specs: Sequence[ShardSpec], opts: BatchOptions, workers: int,
               on_done: Callable[[dict[str, Any]], None]) -> None:
    if workers <= 1:
        for spec in specs:
            on_done(process_shard(spec, opts))
        return
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no inherited threads or locks
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
        todo = iter(specs)
        running: set[Any] = set()
        for spec in todo:
            running.add(pool.submit(process_shard, spec, opts))
            if len(running) >= workers * 2:  # bounded: memory does not grow with the archive
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for f in finished:
                    on_done(f.result())
        for f in running:
            on_done(f.result())


class _Dask:
    """A connection to a Dask scheduler (given, or a LocalCluster of ``workers`` processes)."""

    def __init__(self, workers: int, scheduler: str | None, connect_timeout: float) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, ValueError, TypeError) as exc:  # refused, timed out, unknown host, bad address
                where = "--scheduler" if scheduler != os.environ.get(SCHEDULER_ENV) else f"${SCHEDULER_ENV}"
                raise PilahError(
                    f"Cannot reach the Dask scheduler at {scheduler} ({exc}). Check the address ({where}, such "
                    "as tcp://10.0.0.5:8786), that `dask scheduler` runs there and that this machine can reach "
                    f"its port; or leave {where} unset to run a LocalCluster here. Nothing was written.",
                    code="scheduler_unreachable",
                ) from exc
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)

    def run(self, specs: Sequence[ShardSpec], opts: BatchOptions, on_done: Callable[[dict[str, Any]], None],
            retries: int = 3) -> None:
        from dask.distributed import as_completed

        futures = self.client.map(process_shard, list(specs), opts=opts, retries=retries, pure=False,
                                  key=[f"pilah-{spec.name}-{time.time_ns()}" for spec in specs])
        for future in as_completed(futures):
            on_done(future.result())

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


# -- the run ------------------------------------------------------------------------------------------------

def _progress(total_rows: int, quiet: bool) -> tuple[Callable[[int], None], Callable[[], None]]:
    if quiet or not sys.stderr.isatty():
        return (lambda n: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("[bold]pilah batch"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} docs/s"), TimeRemainingColumn(), transient=False,
    )
    task = progress.add_task("rows", total=total_rows, rate="-")
    progress.start()
    start = time.monotonic()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress.update(task, advance=n, rate=f"{done / max(time.monotonic() - start, 1e-6):,.0f}")

    return advance, progress.stop


def _check_options(opts: BatchOptions, *, engine: str, workers: int | None, rows_per_shard: int) -> None:
    problems = []
    if engine not in ENGINES:
        problems.append(f"--engine {engine!r} is not an engine; use {' or '.join(ENGINES)}")
    if workers is not None and workers < 1:
        problems.append(f"--workers must be at least 1, not {workers}")
    if rows_per_shard < 1:
        problems.append(f"--rows-per-shard must be at least 1, not {rows_per_shard}")
    if opts.max_chars < 1:
        problems.append(f"--max-chars must be at least 1, not {opts.max_chars}")
    if opts.batch_size < 1:
        problems.append(f"the batch size must be at least 1, not {opts.batch_size}")
    if problems:
        raise DataError("; ".join(problems) + ". Nothing was written.", code="invalid_option")


def _check_columns(files: Sequence[Path], opts: BatchOptions) -> list[str]:
    """Fail at once when a file has no text column; notes for other named columns a file lacks."""
    notes = []
    defaults = {f.name: f.default for f in fields(BatchOptions)}
    for path in files:
        columns = columns_of(path, want=opts.text_col)
        if columns is None:
            continue
        if opts.text_col not in columns:
            found = ", ".join(repr(c) for c in columns[:30]) + (", ..." if len(columns) > 30 else "")
            raise DataError(
                f"{path} has no {opts.text_col!r} column, so no row could be analysed (columns found: {found}). "
                "Name the column that holds the text with --text-col (and the date with --date-col, the id with "
                "--id-col, the headline with --title-col). Nothing was written.",
                code="missing_text_column",
            )
        for attr, flag in (("id_col", "--id-col"), ("title_col", "--title-col"), ("date_col", "--date-col")):
            column = getattr(opts, attr)
            if column != defaults[attr] and column not in columns:
                notes.append(f"note: {path} has no {column!r} column ({flag}): its rows get none")
    return notes


def _plan(files: Sequence[Path], specs: Sequence[ShardSpec], opts: BatchOptions, rows_per_shard: int,
          model: dict[str, Any]) -> dict[str, Any]:
    from importlib.metadata import version

    return {"pilah_version": version("pilah"), "model": model, "model_dir": opts.model_dir,
            "options": {k: getattr(opts, k) for k in OUTPUT_OPTIONS}, "inputs": [str(f) for f in files],
            "rows_per_shard": rows_per_shard, "shards": [asdict(s) for s in specs], "cwd": os.getcwd()}


def _same_files(plan: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The plan's inputs and shards with absolute paths: a resume may name the same files another way
    ("in/a.jsonl" and "/data/in/a.jsonl") or from another directory."""
    cwd = Path(plan.get("cwd") or os.getcwd())

    def absolute(path: str) -> str:
        return os.path.normpath(cwd / path)  # cwd / an absolute path is that path

    inputs = [absolute(p) for p in plan.get("inputs", [])]
    shards = [{**s, "path": absolute(s["path"])} for s in plan.get("shards", []) if isinstance(s, dict)]
    return inputs, shards


def _resume_differences(previous: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """What differs between the plan of the run being resumed and this one, in the user's terms."""
    if "model" not in previous or "options" not in previous:
        return ["the run was started by an older Pilah that did not record its model and options"]
    diffs = []
    old, new = previous["model"], plan["model"]
    if old != new:
        diffs.append(f"-m/--model: the run used {old.get('name')} {old.get('version')} "
                     f"(fingerprint {str(old.get('fingerprint'))[:12]}, from {previous.get('model_dir')}); "
                     f"this command gives {new['name']} {new['version']} (fingerprint {new['fingerprint'][:12]}, "
                     f"from {plan['model_dir']})")
    for key, flag in OUTPUT_OPTIONS.items():
        was, now = previous["options"].get(key), plan["options"][key]
        if was != now:
            if isinstance(now, bool):  # show the flags as they are typed
                flags = flag.split("/") if "/" in flag else [flag, f"no {flag}"]
                was, now = (flags[0] if was else flags[1]), (flags[0] if now else flags[1])
                diffs.append(f"{flag}: the run used {was}, this command {now}")
            else:
                diffs.append(f"{flag}: the run used {was!r}, this command {now!r}")
    if previous.get("rows_per_shard") != plan["rows_per_shard"]:
        diffs.append(f"--rows-per-shard: the run used {previous.get('rows_per_shard')}, "
                     f"this command {plan['rows_per_shard']}")
    elif _same_files(previous)[0] != _same_files(plan)[0]:
        diffs.append(f"inputs: the run read {len(previous.get('inputs', []))} file(s) "
                     f"({', '.join(previous.get('inputs', [])[:3])}...), this command {len(plan['inputs'])} "
                     f"({', '.join(plan['inputs'][:3])}...)")
    elif "shards" in plan and _same_files(previous)[1] != _same_files(plan)[1]:
        diffs.append("inputs: the input files changed since the run started (their row counts differ)")
    if previous.get("pilah_version") != plan["pilah_version"]:
        diffs.append(f"Pilah: the run used version {previous.get('pilah_version')}, "
                     f"this is {plan['pilah_version']}")
    return diffs


def _check_resume(out: Path, plan: dict[str, Any]) -> bool:
    """Whether plan.json must be written; raises when --resume would mix outputs of different settings.

    Without ``plan["shards"]`` only the model, options and input names are compared (a quick check before
    the pass over the inputs that plans the shards).
    """
    plan_path = out / "plan.json"
    if not plan_path.is_file():
        if list(out.glob("part-*.done.json")):
            raise DataError(f"{out} holds finished shards but no plan.json, so --resume cannot check that they "
                            "were made with the same model and options; start a new --out.", code="resume_mismatch")
        return True
    try:
        previous = json.loads(plan_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{plan_path} is unreadable ({exc}); start a new --out.", code="resume_mismatch") from exc
    diffs = _resume_differences(previous, plan)
    if diffs:
        raise DataError(
            f"Cannot resume the run in {out}: its finished shards would be mixed with output made differently. "
            + "; ".join(diffs) + ". Resume with the same inputs, model and options as the run being resumed "
            "(see its plan.json), or start a new --out for the new ones.",
            code="resume_mismatch",
        )
    return False


def run_batch(
    inputs: Sequence[str | Path],
    opts: BatchOptions,
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    rows_per_shard: int = 5000,
    resume: bool = False,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    connect_timeout: float = 10.0,
) -> dict[str, Any]:
    """Plan, run and summarise a batch job; returns the summary (also written to ``summary.json``).

    Everything that can be checked is checked before anything is written to ``opts.out_dir``: the options,
    the inputs and their text column, the model, a finished run there (refused without ``resume``), the plan
    of the run being resumed (same model, options and inputs), the Dask scheduler. Raises ``DataError``
    (``all_rows_failed``) after writing the output when rows were read but none could be analysed.
    """
    from pilah.models.persistence import load_model

    say = log or (lambda m: None)
    _check_options(opts, engine=engine, workers=workers, rows_per_shard=rows_per_shard)
    out = Path(opts.out_dir)
    files = find_inputs(inputs)
    model = load_model(opts.model_dir)  # fail early, in the client, if the model is unusable
    identity = model_identity(model)
    opts = replace(opts, model_fingerprint=identity["fingerprint"])
    if list(out.glob("part-*.done.json")) and not resume:
        raise DataError(f"{out} already holds a batch run; pass --resume (with the same inputs, model and options) "
                        "to continue it, or choose another --out.", code="run_exists")
    if resume:
        plan = _plan(files, (), opts, rows_per_shard, identity)
        del plan["shards"]
        _check_resume(out, plan)
    for note in _check_columns(files, opts):
        say(note)
    workers = workers or os.cpu_count() or 1
    dask = _Dask(workers, scheduler or os.environ.get(SCHEDULER_ENV), connect_timeout) if engine == "dask" else None
    try:
        specs = plan_shards(files, rows_per_shard)
        plan = _plan(files, specs, opts, rows_per_shard, identity)
        write_plan = _check_resume(out, plan) if resume else True
        out.mkdir(parents=True, exist_ok=True)
        if write_plan:
            (out / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        for stale in out.glob(".part-*.tmp-*"):  # leftovers of a killed run
            stale.unlink()
        if not resume:  # shards of a run killed before it finished any: they may not be in this plan
            for stale in out.glob("part-*"):
                stale.unlink()
        done_names = {p.name[: -len(".done.json")] for p in out.glob("part-*.done.json")}
        todo = [s for s in specs if s.name not in done_names]
        total = sum(s.n_rows for s in specs)
        say(f"{len(files)} file(s), {total:,} rows in {len(specs)} shard(s); {len(specs) - len(todo)} already done; "
            f"engine {engine}, {workers} worker(s)")
        advance, stop = _progress(sum(s.n_rows for s in todo), quiet)
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat()

        def on_done(counts: dict[str, Any]) -> None:
            advance(int(counts["rows"]))

        try:
            if dask is not None:
                dask.run(todo, opts, on_done)
            else:
                _run_local(todo, opts, workers, on_done)
        finally:
            stop()
    finally:
        if dask is not None:
            dask.close()
    elapsed = time.monotonic() - started
    counts = [json.loads((out / f"{s.name}.done.json").read_text(encoding="utf-8")) for s in specs]
    rows_in = sum(c["rows"] for c in counts)
    ok = sum(c["ok"] for c in counts)
    errors = sum(c["errors"] for c in counts)
    codes: Counter[str] = Counter()
    for c in counts:
        codes.update(c.get("error_codes", {}))
    processed = sum(s.n_rows for s in todo)
    summary = {
        "rows_in": rows_in, "rows_planned": total, "ok": ok, "errors": errors,
        "error_codes": dict(codes.most_common()),
        "balanced": rows_in == ok + errors == total, "shards": len(specs), "shards_run": len(todo),
        "model": identity, "inputs": [str(f) for f in files],
        "engine": engine, "workers": workers, "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(), "seconds": round(elapsed, 2),
        "docs_per_s": round(processed / elapsed, 1) if elapsed > 0 else None,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    failed = rows_in > 0 and ok == 0
    verdict = "MISMATCH" if not summary["balanced"] else "FAILED, every row is an error" if failed else "OK"
    say(f"rows in {rows_in:,} = ok {ok:,} + errors {errors:,}: {verdict}; "
        f"{summary['docs_per_s']} docs/s over {len(todo)} shard(s)")
    if errors and not failed:
        say(f"errors by code: {_codes_text(codes)}; the rows are listed in {out}/part-*.errors.jsonl")
    if not summary["balanced"]:
        raise DataError(f"Row count mismatch in {out}: {rows_in} rows in, {ok} ok, {errors} errors, "
                        f"{total} planned. Rerun with --resume; report a bug if it persists.")
    if failed:
        raise DataError(
            f"None of the {rows_in:,} rows could be analysed ({_codes_text(codes)}); see the messages in "
            f"{out}/part-*.errors.jsonl, fix the input or the options (--text-col, --date-col, --max-chars ...) "
            "and run again into a new --out.",
            code="all_rows_failed",
        )
    return summary


def _codes_text(codes: Counter[str]) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in codes.most_common())


def iter_results(out_dir: str | Path) -> Iterable[dict[str, Any]]:
    """All analysed rows of a batch output, shard by shard (for tests and small archives)."""
    import pyarrow.parquet as pq

    for part in sorted(Path(out_dir).glob("part-*.parquet")):
        yield from pq.read_table(part).to_pylist()
