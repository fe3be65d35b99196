from __future__ import annotations

import csv
import gzip
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pilah.nlp.errors import DataError, InputError, ModelError, PilahError
from pilah.service.batch import BatchOptions, iter_results, parse_date, process_shard, run_batch
from pilah.service.batch_io import find_inputs, plan_shards
from pilah.service.cli import app

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


# -- resume: same model, options and inputs, or refused -------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def other_model_dir(tmp_path_factory, small_examples, small_taxonomy) -> Path:
    """A second model (other data, other version), like models/2026-12 next to models/default."""
    from pilah.models.persistence import save_model
    from pilah.models.train import train_model

    result = train_model(small_examples[2:], small_examples[:6], taxonomy=small_taxonomy, folds=3, seed=8,
                         C=1.0, name="pilah-other", version="2026-12")
    out = tmp_path_factory.mktemp("models") / "2026-12"
    save_model(result.model, out, card=result.card)
    return out


def _killed_run(tmp_path: Path, model_dir: Path, **kw) -> tuple[Path, BatchOptions]:
    """A run of 60 rows in 6 shards whose last 3 shards were not marked done (as after a kill)."""
    data = tmp_path / "a.jsonl"
    _jsonl(data, 60, "a")
    opts = _opts(tmp_path, model_dir, **kw)
    run_batch([str(data)], opts, workers=1, rows_per_shard=10, quiet=True)
    out = Path(opts.out_dir)
    for marker in sorted(out.glob("part-*.done.json"))[3:]:
        marker.unlink()
    return data, opts


def _state(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_plan_records_the_model_and_every_option_that_changes_the_output(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 5, "a")
    run_batch([str(data)], _opts(tmp_path, small_model_dir, max_chars=700, keep_text=False), workers=1,
              rows_per_shard=3, quiet=True)
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    meta = json.loads((small_model_dir / "meta.json").read_text())
    assert plan["model"]["name"] == meta["name"] and plan["model"]["version"] == meta["version"]
    assert plan["model"]["data_hash"] == meta["data_hash"] and len(plan["model"]["fingerprint"]) == 64
    assert plan["options"] == {"id_col": "id", "text_col": "isi", "title_col": "judul", "date_col": "tgl",
                               "max_chars": 700, "keep_text": False, "jsonl": False}
    assert plan["rows_per_shard"] == 3 and len(plan["shards"]) == 2


def test_resume_with_another_model_is_refused_and_writes_nothing(tmp_path, small_model_dir, other_model_dir):
    data, opts = _killed_run(tmp_path, small_model_dir)
    out = Path(opts.out_dir)
    before = _state(out)
    with pytest.raises(DataError) as err:
        run_batch([str(data)], replace(opts, model_dir=str(other_model_dir)), workers=1, rows_per_shard=10,
                  resume=True, quiet=True)
    assert err.value.code == "resume_mismatch"
    assert "-m/--model" in err.value.message and "pilah-other 2026-12" in err.value.message
    assert "same inputs, model and options" in err.value.message and "new --out" in err.value.message
    assert _state(out) == before  # no shard made with the other model, plan.json untouched

    # The same model under another path (a copy) is the same model: the resume goes on.
    copy = tmp_path / "copy-of-model"
    shutil.copytree(small_model_dir, copy)
    summary = run_batch([str(data)], replace(opts, model_dir=str(copy)), workers=1, rows_per_shard=10,
                        resume=True, quiet=True)
    assert summary["balanced"] and summary["shards_run"] == 3 and summary["ok"] == 60
    assert {r["model_version"] for r in iter_results(out)} == {json.loads(
        (small_model_dir / "meta.json").read_text())["version"]}


@pytest.mark.parametrize(("change", "flag"), [
    ({"text_col": "text"}, "--text-col: the run used 'isi', this command 'text'"),
    ({"date_col": "tanggal"}, "--date-col: the run used 'tgl', this command 'tanggal'"),
    ({"id_col": "no"}, "--id-col"),
    ({"title_col": "headline"}, "--title-col"),
    ({"max_chars": 50}, "--max-chars: the run used 1000000, this command 50"),
    ({"keep_text": False}, "--text/--no-text: the run used --text, this command --no-text"),
    ({"jsonl": True}, "--jsonl: the run used no --jsonl, this command --jsonl"),
])
def test_resume_with_another_output_option_is_refused_naming_it(tmp_path, small_model_dir, change, flag):
    data, opts = _killed_run(tmp_path, small_model_dir)
    before = _state(Path(opts.out_dir))
    with pytest.raises(DataError, match="Cannot resume") as err:
        run_batch([str(data)], replace(opts, **change), workers=1, rows_per_shard=10, resume=True, quiet=True)
    assert err.value.code == "resume_mismatch" and flag in err.value.message
    assert _state(Path(opts.out_dir)) == before


def test_resume_naming_the_same_input_another_way_goes_on(tmp_path, small_model_dir, monkeypatch):
    data, opts = _killed_run(tmp_path, small_model_dir)  # started with an absolute path
    monkeypatch.chdir(data.parent)
    summary = run_batch([data.name], opts, workers=1, rows_per_shard=10, resume=True, quiet=True)
    assert summary["balanced"] and summary["ok"] == 60


def test_resume_with_other_inputs_or_shard_size_is_refused(tmp_path, small_model_dir):
    data, opts = _killed_run(tmp_path, small_model_dir)
    with pytest.raises(DataError, match="--rows-per-shard: the run used 10, this command 20"):
        run_batch([str(data)], opts, workers=1, rows_per_shard=20, resume=True, quiet=True)
    more = tmp_path / "b.jsonl"
    _jsonl(more, 3, "b")
    with pytest.raises(DataError, match="inputs: the run read 1 file"):
        run_batch([str(data), str(more)], opts, workers=1, rows_per_shard=10, resume=True, quiet=True)
    with data.open("ab") as fh:  # the same file, grown since
        fh.write(b'{"id": "late", "isi": "jalan rusak"}\n')
    with pytest.raises(DataError, match="input files changed"):
        run_batch([str(data)], opts, workers=1, rows_per_shard=10, resume=True, quiet=True)


def test_resume_of_a_run_without_a_recorded_model_is_refused(tmp_path, small_model_dir):
    data, opts = _killed_run(tmp_path, small_model_dir)
    plan_path = Path(opts.out_dir) / "plan.json"
    plan = json.loads(plan_path.read_text())
    plan_path.write_text(json.dumps({k: plan[k] for k in ("inputs", "rows_per_shard", "shards")}))  # older Pilah
    with pytest.raises(DataError, match="older Pilah") as err:
        run_batch([str(data)], opts, workers=1, rows_per_shard=10, resume=True, quiet=True)
    assert err.value.code == "resume_mismatch"


def test_resume_on_the_cli_names_the_model_and_exits_non_zero(tmp_path, small_model_dir, other_model_dir):
    data, opts = _killed_run(tmp_path, small_model_dir)
    args = ["batch", str(data), "--out", opts.out_dir, "--text-col", "isi", "--title-col", "judul",
            "--date-col", "tgl", "--rows-per-shard", "10", "--workers", "1", "--quiet", "--resume"]
    result = runner.invoke(app, [*args, "-m", str(other_model_dir)])
    assert result.exit_code == 3
    assert result.stderr.startswith("error [resume_mismatch]: ") and "-m/--model" in result.stderr
    assert "Traceback" not in result.stderr
    result = runner.invoke(app, [*args, "-m", str(small_model_dir)])
    assert result.exit_code == 0, result.stderr
    assert json.loads((Path(opts.out_dir) / "summary.json").read_text())["ok"] == 60


def test_a_worker_refuses_a_model_that_is_not_the_planned_one(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 3, "a")
    (tmp_path / "out").mkdir()
    spec = plan_shards([data], 10)[0]
    with pytest.raises(ModelError) as err:
        process_shard(spec, _opts(tmp_path, small_model_dir, model_fingerprint="0" * 64))
    assert err.value.code == "model_mismatch"
    assert not list((tmp_path / "out").iterdir())


# -- rows validated like `pilah analyze`; columns checked first --------------------------------------------

def _analyze_code(model_dir: Path, line: bytes) -> str | None:
    result = runner.invoke(app, ["analyze", "--model", str(model_dir), "--max-chars", "100"], input=line + b"\n")
    answer = json.loads(result.stdout)
    return answer["error"]["code"] if "error" in answer else None


@pytest.mark.parametrize("line", [
    b'{"id": 1.5, "text": "jalan rusak"}',
    b'{"id": [3], "text": "jalan rusak"}',
    b'{"id": true, "text": "jalan rusak"}',
    b'{"id": {"a": 1}, "text": "jalan rusak"}',
    b'{"id": "t", "text": "jalan rusak", "title": 5}',
    b'{"id": "t", "text": "jalan rusak", "title": ["a"]}',
    b'{"id": "t", "text": 42}',
    b'{"id": "t", "text": null}',
    b'{"id": "t"}',
    b'{"id": "t", "text": "   "}',
    b'{"id": "t", "text": "' + b"x" * 120 + b'"}',
    b'{"id": "t", "text": "\\ud800 rusak"}',
    b'[1, 2]',
    b'{broken',
    b'{"id": 7, "text": "jalan rusak", "title": "Jalan"}',
])
def test_rows_get_the_same_code_as_in_pilah_analyze(tmp_path, small_model_dir, line):
    data = tmp_path / "a.jsonl"
    data.write_bytes(b'{"id": "good", "text": "jalan rusak"}\n' + line + b"\n")
    opts = BatchOptions(out_dir=str(tmp_path / "out"), model_dir=str(small_model_dir), max_chars=100)
    summary = run_batch([str(data)], opts, workers=1, quiet=True)
    assert summary["balanced"] and summary["rows_in"] == 2
    errors = _errors(tmp_path / "out")
    expected = _analyze_code(small_model_dir, line)
    assert [e["code"] for e in errors] == ([expected] if expected else [])
    assert all(e["message"] and e["row"] == 2 for e in errors)
    if expected is None:
        row = next(r for r in iter_results(tmp_path / "out") if r["row"] == 2)
        assert row["id"] == "7" and row["title"] == "Jalan"  # an integer id is stored as its text


def test_messages_name_the_column_chosen_by_the_option(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    data.write_bytes(b'{"no": 1, "isi": "ok", "judul": 5}\n{"no": 1.5, "isi": "ok"}\n{"no": 2, "isi": ""}\n'
                     b'{"no": 3, "isi": "jalan rusak"}\n')
    opts = BatchOptions(out_dir=str(tmp_path / "out"), model_dir=str(small_model_dir), id_col="no",
                        text_col="isi", title_col="judul")
    run_batch([str(data)], opts, workers=1, quiet=True)
    messages = {e["code"]: e["message"] for e in _errors(tmp_path / "out")}
    assert "'judul' of --title-col" in messages["title_not_string"]
    assert "'no' of --id-col" in messages["invalid_id"]
    assert "'isi' of --text-col" in messages["empty_text"]


@pytest.mark.parametrize(("value", "stored"), [
    ("2026-01-05", "2026-01-05"),
    ("20260105", "2026-01-05"),
    (" 2026-01-05 ", "2026-01-05"),
    ("2026-01-05T08:30:00", "2026-01-05T08:30:00"),
    ("2026-01-05 08:30", "2026-01-05T08:30:00"),
    ("2026-01-05T08:30:00+07:00", "2026-01-05T08:30:00+07:00"),
    ("2026-01-05T01:30:00Z", "2026-01-05T01:30:00+00:00"),
    ("", None),
    (None, None),
])
def test_dates_are_read_as_iso_8601(value, stored):
    assert parse_date(value) == stored


@pytest.mark.parametrize("value", [
    "not a date", "kemarin", "05/01/2026", "2026-13-01", "2026-02-30", {"y": 2024}, [2026, 1, 5], 20260105,
    1.5, True,
])
def test_an_unreadable_date_is_an_invalid_date_error(value):
    with pytest.raises(InputError) as err:
        parse_date(value)
    assert err.value.code == "invalid_date" and "--date-col" in err.value.message


def test_rows_with_unreadable_dates_go_to_the_errors_file_with_their_value(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    rows = [{"id": "ok", "isi": "jalan rusak", "tgl": "2026-03-04"}, {"id": "none", "isi": "jalan rusak"},
            {"id": "dict", "isi": "jalan rusak", "tgl": {"y": 2024}},
            {"id": "words", "isi": "jalan rusak", "tgl": "not a date"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run_batch([str(data)], _opts(tmp_path, small_model_dir), workers=1, quiet=True)
    assert summary["ok"] == 2 and summary["errors"] == 2 and summary["error_codes"] == {"invalid_date": 2}
    errors = {e["id"]: e for e in _errors(tmp_path / "out")}
    assert set(errors) == {"dict", "words"}
    assert "'not a date'" in errors["words"]["message"] and "'tgl'" in errors["words"]["message"]
    assert '{"y": 2024}' in errors["dict"]["message"]
    assert {r["id"]: r["date"] for r in iter_results(tmp_path / "out")} == {"ok": "2026-03-04", "none": None}


def test_parquet_date_and_timestamp_columns_are_stored_as_iso_text(tmp_path, small_model_dir):
    import datetime as dt

    pq.write_table(pa.table({
        "isi": ["jalan rusak", "obat kosong"],
        "tgl": pa.array([dt.date(2026, 1, 5), None], pa.date32()),
        "jam": pa.array([dt.datetime(2026, 1, 5, 8, 30), dt.datetime(2026, 2, 1)], pa.timestamp("s")),
    }), tmp_path / "a.parquet")
    for col, expected in (("tgl", ["2026-01-05", None]), ("jam", ["2026-01-05T08:30:00", "2026-02-01T00:00:00"])):
        out = tmp_path / f"out-{col}"
        run_batch([str(tmp_path / "a.parquet")], BatchOptions(out_dir=str(out), model_dir=str(small_model_dir),
                                                              text_col="isi", date_col=col), workers=1, quiet=True)
        assert [r["date"] for r in _table(out)] == expected


def test_integer_ids_that_pandas_stored_as_floats_stay_integers(tmp_path, small_model_dir):
    pq.write_table(pa.table({"id": pa.array([1.0, None, 3.0], pa.float64()),
                             "isi": ["jalan rusak", "obat kosong", "ktp belum jadi"]}), tmp_path / "a.parquet")
    out = tmp_path / "out"
    summary = run_batch([str(tmp_path / "a.parquet")], BatchOptions(out_dir=str(out), model_dir=str(small_model_dir),
                                                                    text_col="isi"), workers=1, quiet=True)
    assert summary["ok"] == 3
    ids = [r["id"] for r in _table(out)]
    assert ids[0] == "1" and ids[2] == "3"


def test_an_error_row_takes_the_id_its_result_row_would_have(tmp_path, small_model_dir):
    pq.write_table(pa.table({"id": pa.array([1.0, None, 3.0], pa.float64()),
                             "isi": ["jalan rusak", "obat kosong", ""]}), tmp_path / "a.parquet")
    out = tmp_path / "out"
    run_batch([str(tmp_path / "a.parquet")], BatchOptions(out_dir=str(out), model_dir=str(small_model_dir),
                                                          text_col="isi"), workers=1, quiet=True)
    assert [(e["id"], e["code"]) for e in _errors(out)] == [("3", "empty_text")]


def _write_export(path: Path, columns: list[str]) -> None:
    rows = [{c: f"{c} {i}" for c in columns} for i in range(2001)]
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, columns)
            w.writeheader()
            w.writerows(rows)
    elif path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("name", ["export.csv", "export.parquet", "export.jsonl"])
def test_a_file_without_the_text_column_stops_the_run_before_anything_is_written(tmp_path, small_model_dir,
                                                                                  name):
    good = tmp_path / "good.jsonl"
    _jsonl(good, 3, "g")
    bad = tmp_path / name
    _write_export(bad, ["id", "judul", "isi", "tanggal"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(good), str(bad), "--out", str(out), "-m", str(small_model_dir),
                                 "--quiet", "--workers", "1"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error [missing_text_column]: ")
    assert "no 'text' column" in result.stderr and str(bad) in result.stderr
    assert "'id', 'judul', 'isi', 'tanggal'" in result.stderr and "--text-col" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_jsonl_file_whose_text_comes_after_its_first_thousand_rows_is_not_refused(tmp_path, small_model_dir):
    data = tmp_path / "late.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for i in range(1500):  # the export began with rows of another kind
            fh.write(json.dumps({"id": i, "judul": "rekap"}) + "\n")
        fh.write(json.dumps({"id": "x", "text": "jalan rusak parah"}) + "\n")
    summary = run_batch([str(data)], BatchOptions(out_dir=str(tmp_path / "out"), model_dir=str(small_model_dir)),
                        workers=1, quiet=True)
    assert summary["ok"] == 1 and summary["errors"] == 1500


def test_named_columns_a_file_lacks_get_a_note(tmp_path, small_model_dir):
    data = tmp_path / "a.csv"
    _write_export(data, ["isi"])
    notes: list[str] = []
    run_batch([str(data)], BatchOptions(out_dir=str(tmp_path / "out"), model_dir=str(small_model_dir),
                                        text_col="isi", date_col="tanggal"), workers=1, quiet=True, log=notes.append)
    assert any("no 'tanggal' column (--date-col)" in n for n in notes)
    assert not any("--id-col" in n or "--title-col" in n for n in notes)  # the defaults are optional


def test_a_run_where_every_row_is_an_error_fails_and_says_so(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    data.write_bytes(b'{"text": ""}\n{"text": 5}\n{broken\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(data), "--out", str(out), "-m", str(small_model_dir), "--quiet",
                                 "--workers", "1"])
    assert result.exit_code == 3
    assert "FAILED, every row is an error" in result.stderr
    assert "error [all_rows_failed]: None of the 3 rows could be analysed" in result.stderr
    assert "empty_text 1" in result.stderr and "part-*.errors.jsonl" in result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["balanced"] and summary["ok"] == 0 and summary["errors"] == 3
    assert summary["error_codes"] == {"empty_text": 1, "text_not_string": 1, "invalid_json": 1}


def test_a_run_with_some_errors_succeeds_and_counts_them_by_code(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    data.write_bytes(b'{"text": ""}\n{"text": "jalan rusak parah"}\n')
    result = runner.invoke(app, ["batch", str(data), "--out", str(tmp_path / "out"), "-m", str(small_model_dir),
                                 "--quiet", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    assert "errors by code: empty_text 1" in result.stderr


# -- options and the Dask scheduler checked before anything is written ---------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark"], "--engine 'spark' is not an engine; use local or dask"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--rows-per-shard", "0"], "--rows-per-shard must be at least 1"),
    (["--max-chars", "0"], "--max-chars must be at least 1"),
])
def test_invalid_options_are_refused_before_anything_is_written(tmp_path, small_model_dir, args, message):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 3, "a")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(data), "--out", str(out), "-m", str(small_model_dir),
                                 "--text-col", "isi", "--quiet", *args])
    assert result.exit_code == 3
    assert result.stderr.startswith("error [invalid_option]: ") and message in result.stderr
    assert not out.exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_a_clean_error_before_anything_is_written(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 3, "a")
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(PilahError) as err:
        run_batch([str(data)], _opts(tmp_path, small_model_dir), engine="dask", scheduler=address,
                  quiet=True, connect_timeout=1)
    assert err.value.code == "scheduler_unreachable"
    assert address in err.value.message and "`dask scheduler` runs there" in err.value.message
    assert not (tmp_path / "out").exists()


def test_a_malformed_scheduler_address_is_a_clean_error_on_the_cli(tmp_path, small_model_dir, monkeypatch):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 3, "a")
    monkeypatch.setenv("PILAH_DASK_SCHEDULER", "nonsense://host:1")
    result = runner.invoke(app, ["batch", str(data), "--out", str(tmp_path / "out"), "-m", str(small_model_dir),
                                 "--text-col", "isi", "--quiet", "--engine", "dask"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error [scheduler_unreachable]: Cannot reach the Dask scheduler at nonsense")
    assert "$PILAH_DASK_SCHEDULER" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# -- shards, and the README's example -------------------------------------------------------------------------

def test_shards_are_cut_per_file_and_never_span_two(tmp_path):
    for i in range(5):
        _jsonl(tmp_path / f"small-{i}.jsonl", 3, f"s{i}")
    _jsonl(tmp_path / "big.jsonl", 12, "b")
    specs = plan_shards(find_inputs([str(tmp_path)]), 5)
    by_file: dict[str, list[int]] = {}
    for s in specs:
        by_file.setdefault(Path(s.path).name, []).append(s.n_rows)
    assert by_file == {"big.jsonl": [5, 5, 2], **{f"small-{i}.jsonl": [3] for i in range(5)}}
    assert [s.index for s in specs] == list(range(8))


def test_the_readme_batch_example_runs_as_written(tmp_path, small_model_dir, monkeypatch):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `pilah batch`"):readme.index("### `pilah corpus check`")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    subprocess.run(["bash", "-ec", blocks[0]], check=True)  # the example archive/ and export.csv
    commands = [c for b in blocks[1:] for c in b.replace("\\\n", " ").splitlines() if c.startswith(".venv/")]
    local = [c for c in commands if "/shared/" not in c]
    assert len(local) == 4  # batch, batch --resume, report, batch --engine dask
    for command in local:
        args = shlex.split(command, comments=True)[1:]
        if args[0] == "batch":
            args += ["-m", str(small_model_dir), "--workers", "2", "--quiet"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.stderr)
    rows = {r["id"]: r for r in iter_results(tmp_path / "out")}
    assert set(rows) == {"kompas-1", "kompas-2", "detik-1"}
    assert rows["kompas-2"]["date"] == "2026-01-07T08:30:00+07:00" and rows["detik-1"]["title"] == "Obat kosong"
    assert sorted(r["id"] for r in iter_results(tmp_path / "out-dask")) == sorted(rows)
    assert (tmp_path / "report" / "index.html").is_file()


def test_a_fresh_run_clears_the_shards_of_a_run_that_finished_none(tmp_path, small_model_dir):
    data = tmp_path / "a.jsonl"
    _jsonl(data, 20, "a")
    opts = _opts(tmp_path, small_model_dir)
    run_batch([str(data)], opts, workers=1, rows_per_shard=5, quiet=True)
    out = Path(opts.out_dir)
    for marker in out.glob("part-*.done.json"):  # killed before any shard was marked done
        marker.unlink()
    summary = run_batch([str(data)], opts, workers=1, rows_per_shard=10, quiet=True)
    assert sorted(p.name for p in out.glob("part-*.parquet")) == ["part-00000.parquet", "part-00001.parquet"]
    assert len(list(iter_results(out))) == summary["ok"] == 20
    assert summary["model"]["fingerprint"] == json.loads((out / "plan.json").read_text())["model"]["fingerprint"]
