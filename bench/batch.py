"""Batch throughput benchmark: a generated archive of news-size documents, 1 vs 2 local workers, and Dask.

Peak memory is the largest sum of resident memory over the batch process tree (client and workers),
sampled every 0.25 s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def make_archive(path: Path, n_docs: int, seed: int = 7) -> None:
    """JSONL of ~400-word news-like documents recombined from the shipped corpus's news texts."""
    from pilah.corpus.records import read_corpus

    rng = random.Random(seed)
    paragraphs = [p for ex in read_corpus() if ex.kind == "news" for p in ex.text.split("\n") if len(p) > 80]
    titles = [ex.title for ex in read_corpus() if ex.title]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n_docs):
            words: list[str] = []
            while len(words) < 400:
                words += rng.choice(paragraphs).split()
            rec = {"id": f"n{i}", "title": rng.choice(titles), "text": " ".join(words[:400]),
                   "date": f"20{20 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}"}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


class PeakMemory:
    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                procs = [self._proc, *self._proc.children(recursive=True)]
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            time.sleep(0.25)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def run_one(archive: Path, model_dir: Path, workers: int, engine: str) -> dict[str, Any]:
    from pilah.service.batch import BatchOptions, run_batch

    out = Path(tempfile.mkdtemp(prefix="pilah-bench-"))
    try:
        opts = BatchOptions(out_dir=str(out), model_dir=str(model_dir))
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            summary = run_batch([str(archive)], opts, workers=workers, engine=engine, rows_per_shard=2000,
                                quiet=True)
            elapsed = time.perf_counter() - t0
        docs = summary["ok"]
        return {"engine": engine, "workers": workers, "docs": docs, "seconds": elapsed,
                "docs_per_s": docs / elapsed, "peak_mb": mem.peak / 2**20, "balanced": summary["balanced"]}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def batch_section(model_dir: Path, n_docs: int = 100_000) -> list[str]:
    work = ROOT / "bench" / "out"
    work.mkdir(parents=True, exist_ok=True)
    archive = work / f"news-{n_docs}.jsonl"
    if not archive.is_file():
        make_archive(archive, n_docs)
    runs = []
    for workers, engine in ((1, "local"), (2, "local"), (2, "dask")):
        r = run_one(archive, model_dir, workers, engine)
        print(f"batch {engine} x{workers}: {r['docs_per_s']:,.0f} docs/s, peak {r['peak_mb']:,.0f} MB", flush=True)
        runs.append(r)
    one, two, dask = runs
    lines = [
        "## Batch analysis of a news archive",
        "",
        f"Command: `make bench` (`bench/batch.py`). Archive: {n_docs:,} generated news-size documents (~400 words,",
        "recombined from the corpus's news paragraphs, ~2.8 KB each, JSONL); 2,000 rows per shard. Wall time of",
        "`run_batch` including worker start-up and model loading; peak memory = largest sum of resident memory",
        "of the process tree (client + workers).",
        "",
        "| engine | workers | docs | seconds | docs/s | projected time for 1,000,000 | peak memory |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        proj = 1_000_000 / r["docs_per_s"] / 60
        lines.append(f"| {r['engine']} | {r['workers']} | {r['docs']:,} | {r['seconds']:,.0f} | "
                     f"{r['docs_per_s']:,.0f} | {proj:,.0f} min | {r['peak_mb']:,.0f} MB |")
    lines += [
        "",
        f"- 2 workers vs 1: **{two['docs_per_s'] / one['docs_per_s']:.2f}x** (target >= 1.8x).",
        f"- 1,000,000 articles with 2 workers: **{1_000_000 / two['docs_per_s'] / 60:,.0f} min** "
        "(target < 30 min, i.e. about 560 docs/s).",
        f"- Dask (LocalCluster, 2 worker processes) vs local engine: **{dask['docs_per_s'] / two['docs_per_s']:.2f}x** "
        "(target: within 25%).",
        f"- Peak memory with 2 workers: {two['peak_mb']:,.0f} MB (target < 2 GB).",
        "",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--docs", type=int, default=100_000)
    args = ap.parse_args()
    print("\n".join(batch_section(Path(args.model), args.docs)))


if __name__ == "__main__":
    main()
