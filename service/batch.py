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

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pilah.nlp.errors import DataError, InputError
from pilah.service.batch_io import RawRow, ShardSpec, find_inputs, plan_shards, read_shard

__all__ = ["BatchOptions", "process_shard", "result_schema", "run_batch", "SCHEDULER_ENV"]

SCHEDULER_ENV = "PILAH_DASK_SCHEDULER"
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


def _analyzer(model_dir: str) -> Any:
    """The model of this process, loaded once (per worker process, not per shard)."""
    analyzer = _ANALYZERS.get(model_dir)
    if analyzer is None:
        from pilah.service.jobs import load_analyzer

        analyzer = _ANALYZERS[model_dir] = load_analyzer(Path(model_dir))
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


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet
        return None
    return str(value)


def _document(raw: RawRow, spec: ShardSpec, opts: BatchOptions) -> tuple[Any, dict[str, Any]]:
    """A validated Document plus the row's metadata, or raises InputError."""
    from pilah.models.analysis import parse_document

    rec = raw.record or {}
    obj = {"text": rec.get(opts.text_col), "title": _str_or_none(rec.get(opts.title_col))}
    if opts.text_col not in rec:
        raise InputError(f"no {opts.text_col!r} column; set --text-col", code="missing_text")
    doc = parse_document(obj, max_chars=opts.max_chars)
    rid = _str_or_none(rec.get(opts.id_col)) or f"{Path(spec.path).name}:{raw.row}"
    return doc, {"id": rid, "date": _str_or_none(rec.get(opts.date_col))}


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

    out = Path(opts.out_dir)
    analyzer = _analyzer(opts.model_dir)
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    pending: list[tuple[Any, dict[str, Any], RawRow]] = []
    n_in = 0

    def flush() -> None:
        results = analyzer.analyze([d for d, _, _ in pending])
        for (doc, meta, raw), res in zip(pending, results, strict=True):
            rows.append({
                "id": meta["id"], "source": spec.path, "row": raw.row, "date": meta["date"],
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
        rid = _str_or_none((raw.record or {}).get(opts.id_col))
        if raw.error is not None:
            errors.append({"id": rid, "source": spec.path, "row": raw.row, "code": raw.error[0],
                           "message": raw.error[1]})
            continue
        try:
            doc, meta = _document(raw, spec, opts)
        except InputError as exc:
            errors.append({"id": rid, "source": spec.path, "row": raw.row, "code": exc.code,
                           "message": exc.message})
            continue
        pending.append((doc, meta, raw))
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
            "ok": len(rows), "errors": len(errors)}
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


def _run_dask(specs: Sequence[ShardSpec], opts: BatchOptions, workers: int, scheduler: str | None,
              on_done: Callable[[dict[str, Any]], None], retries: int = 3) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futures = client.map(process_shard, list(specs), opts=opts, retries=retries, pure=False,
                             key=[f"pilah-{spec.name}-{time.time_ns()}" for spec in specs])
        for future in as_completed(futures):
            on_done(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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
) -> dict[str, Any]:
    """Plan, run and summarise a batch job; returns the summary (also written to ``summary.json``)."""
    from pilah.models.persistence import load_model

    say = log or (lambda m: None)
    out = Path(opts.out_dir)
    files = find_inputs(inputs)
    model = load_model(opts.model_dir)  # fail early, in the client, if the model is unusable
    out.mkdir(parents=True, exist_ok=True)
    existing = list(out.glob("part-*.done.json"))
    if existing and not resume:
        raise DataError(f"{out} already holds a batch run; pass --resume to continue it or choose another --out.")
    specs = plan_shards(files, rows_per_shard)
    plan_path = out / "plan.json"
    plan = {"inputs": [str(f) for f in files], "rows_per_shard": rows_per_shard,
            "shards": [asdict(s) for s in specs]}
    if resume and plan_path.is_file():
        previous = json.loads(plan_path.read_text(encoding="utf-8"))
        if previous["shards"] != plan["shards"]:
            raise DataError("The inputs or --rows-per-shard changed since the run being resumed; "
                            "resume with the same inputs and options, or start a new --out.")
    else:
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
    for stale in out.glob(".part-*.tmp-*"):  # leftovers of a killed run
        stale.unlink()
    done_names = {p.name[: -len(".done.json")] for p in out.glob("part-*.done.json")}
    todo = [s for s in specs if s.name not in done_names]
    total = sum(s.n_rows for s in specs)
    workers = workers or os.cpu_count() or 1
    say(f"{len(files)} file(s), {total:,} rows in {len(specs)} shard(s); {len(specs) - len(todo)} already done; "
        f"engine {engine}, {workers} worker(s)")
    advance, stop = _progress(sum(s.n_rows for s in todo), quiet)
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat()

    def on_done(counts: dict[str, Any]) -> None:
        advance(int(counts["rows"]))

    try:
        if engine == "local":
            _run_local(todo, opts, workers, on_done)
        elif engine == "dask":
            _run_dask(todo, opts, workers, scheduler or os.environ.get(SCHEDULER_ENV), on_done)
        else:
            raise DataError(f"Unknown engine {engine!r}; use local or dask.")
    finally:
        stop()
    elapsed = time.monotonic() - started
    counts = [json.loads((out / f"{s.name}.done.json").read_text(encoding="utf-8")) for s in specs]
    rows_in = sum(c["rows"] for c in counts)
    ok = sum(c["ok"] for c in counts)
    errors = sum(c["errors"] for c in counts)
    processed = sum(s.n_rows for s in todo)
    summary = {
        "rows_in": rows_in, "rows_planned": total, "ok": ok, "errors": errors,
        "balanced": rows_in == ok + errors == total, "shards": len(specs), "shards_run": len(todo),
        "model": {"name": model.name, "version": model.version}, "inputs": [str(f) for f in files],
        "engine": engine, "workers": workers, "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(), "seconds": round(elapsed, 2),
        "docs_per_s": round(processed / elapsed, 1) if elapsed > 0 else None,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    verdict = "OK" if summary["balanced"] else "MISMATCH"
    say(f"rows in {rows_in:,} = ok {ok:,} + errors {errors:,}: {verdict}; "
        f"{summary['docs_per_s']} docs/s over {len(todo)} shard(s)")
    if not summary["balanced"]:
        raise DataError(f"Row count mismatch in {out}: {rows_in} rows in, {ok} ok, {errors} errors, "
                        f"{total} planned. Rerun with --resume; report a bug if it persists.")
    return summary


def iter_results(out_dir: str | Path) -> Iterable[dict[str, Any]]:
    """All analysed rows of a batch output, shard by shard (for tests and small archives)."""
    import pyarrow.parquet as pq

    for part in sorted(Path(out_dir).glob("part-*.parquet")):
        yield from pq.read_table(part).to_pylist()
