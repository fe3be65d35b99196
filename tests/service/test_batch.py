from __future__ import annotations

import csv
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilah.nlp.errors import DataError
from pilah.service.batch import BatchOptions, iter_results, run_batch

TEXTS = [
    "KTP saya belum jadi di Dukcapil Kabupaten Sarolangun",
    "jalan kabupaten rusak berlubang, tolong diperbaiki",
    "obat kosong di puskesmas, pasien disuruh beli sendiri",
]


def _jsonl(path: Path, n: int, prefix: str, extra: list[bytes] = (), repeat: int = 1) -> None:
    with path.open("wb") as fh:
        for i in range(n):
            text = " ".join([TEXTS[i % 3]] * repeat)
            rec = {"id": f"{prefix}{i}", "isi": text, "judul": None, "tgl": f"2026-{1 + i % 12:02d}-05"}
            fh.write((json.dumps(rec) + "\n").encode())
        for line in extra:
            fh.write(line + b"\n")


def _opts(tmp_path: Path, model_dir: Path, **kw) -> BatchOptions:
    return BatchOptions(out_dir=str(tmp_path / "out"), model_dir=str(model_dir), text_col="isi",
                        title_col="judul", date_col="tgl", **kw)


def _errors(out: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(out.glob("part-*.errors.jsonl")) for line in p.read_text().splitlines()]


def test_mixed_formats_and_every_bad_row_kind(tmp_path, small_model_dir):
    src = tmp_path / "in"
    src.mkdir()
    _jsonl(src / "a.jsonl", 25, "a", [
        b"{not json", b'{"id": "u8", "isi": "caf\xe9"}', b'{"id": "empty", "isi": "  "}',
        b'{"id": "nofield"}', b'{"id": "big", "isi": "' + b"x" * 600 + b'"}', b'["list"]',
    ])
    with gzip.open(src / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in range(12):
            fh.write(json.dumps({"id": f"b{i}", "isi": TEXTS[i % 3]}) + "\n")
    with (src / "c.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "isi", "tgl"])
        for i in range(9):
            w.writerow([f"c{i}", TEXTS[i % 3] + "\nbaris kedua", "2026-03-01"])
        w.writerow(["c-empty", "", ""])
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(7)], "isi": [TEXTS[i % 3] for i in range(7)]}),
                   src / "d.parquet")

    summary = run_batch([str(src)], _opts(tmp_path, small_model_dir, max_chars=500), workers=1,
                        rows_per_shard=10, quiet=True)
    out = tmp_path / "out"
    assert summary["balanced"] and summary["rows_in"] == 31 + 12 + 10 + 7
    errors = _errors(out)
    assert {e["code"] for e in errors} == {"invalid_json", "invalid_utf8", "empty_text", "missing_text",
                                           "text_too_large", "not_an_object"}
    assert summary["errors"] == len(errors) == 7
    rows = list(iter_results(out))
    assert len(rows) == summary["ok"] == 53
    keys = [(r["source"], r["row"]) for r in rows] + [(e["source"], e["row"]) for e in errors]
    assert len(keys) == len(set(keys)) == summary["rows_in"]  # every row exactly once
    first = next(r for r in rows if r["id"] == "a0")
    assert first["sector"] == "adminduk" and first["date"] == "2026-01-05"
    assert first["agencies"][0]["region_code"] == "15.03"
    assert [s["label"] for s in first["sectors"]][0] == "adminduk"
    csv_row = next(r for r in rows if r["id"] == "c1")
    assert "baris kedua" in csv_row["text"]  # quoted newline inside a CSV field
    assert next(e for e in errors if e["code"] == "invalid_utf8")["row"] == 27


def test_refuses_to_overwrite_a_run_without_resume(tmp_path, small_model_dir):
    _jsonl(tmp_path / "a.jsonl", 5, "a")
    run_batch([str(tmp_path / "a.jsonl")], _opts(tmp_path, small_model_dir), workers=1, quiet=True)
    with pytest.raises(DataError, match="--resume"):
        run_batch([str(tmp_path / "a.jsonl")], _opts(tmp_path, small_model_dir), workers=1, quiet=True)


def _table(out: Path) -> list[dict]:
    return sorted(iter_results(out), key=lambda r: (r["source"], r["row"]))


def test_resume_after_sigkill_gives_the_same_output_as_a_clean_run(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 1500, "a", [b"{broken"], repeat=20)  # long enough to be killed mid-run
    clean = tmp_path / "clean"
    run_batch([str(data)], BatchOptions(out_dir=str(clean), model_dir=str(small_model_dir), text_col="isi",
                                        date_col="tgl"), workers=1, rows_per_shard=50, quiet=True)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "pilah.service.cli", "batch", str(data), "--out", str(out), "--model",
           str(small_model_dir), "--text-col", "isi", "--date-col", "tgl", "--rows-per-shard", "50",
           "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("part-*.done.json"))) < 3:
        time.sleep(0.02)
    time.sleep(random.uniform(0.0, 0.3))  # a random point in the middle of the run
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = len(list(out.glob("part-*.done.json")))
    assert 0 < done_before < 31, "the kill should land mid-run"

    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["balanced"] and summary["rows_in"] == 1501
    assert summary["shards_run"] == 31 - done_before
    assert _table(out) == _table(clean)
    assert _errors(out) == _errors(clean)
    assert not list(out.glob(".*tmp*"))


def test_dask_engine_survives_a_killed_worker(tmp_path, small_model_dir):
    psutil = pytest.importorskip("psutil")
    data = tmp_path / "a.jsonl"
    _jsonl(data, 600, "a")
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("part-*.done.json"))) < 2:
            time.sleep(0.02)
        children = [p for p in psutil.Process().children(recursive=True) if "python" in p.name().lower()]
        workers = [p for p in children if any("spawn" in part for part in p.cmdline())]
        if workers:
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    summary = run_batch([str(data)], _opts(tmp_path, small_model_dir), workers=2, engine="dask",
                        rows_per_shard=15, quiet=True)
    killer.join()
    assert killed, "no Dask worker process was found to kill"
    assert summary["balanced"] and summary["rows_in"] == summary["ok"] == 600
    rows = list(iter_results(out))
    assert sorted(r["row"] for r in rows) == list(range(1, 601))  # none lost, none twice
