from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from pilah.service.cli import app

runner = CliRunner()


def analyze(model_dir, data: bytes, *args: str):
    result = runner.invoke(app, ["analyze", "--model", str(model_dir), *args], input=data)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result, lines


def test_every_line_is_answered_in_order_with_the_contract(small_model_dir):
    data = "\n".join(
        json.dumps(d)
        for d in [
            {"id": "a", "text": "KTP saya belum jadi di Dukcapil"},
            {"id": 2, "text": "jembatan putus", "title": "Warga Terisolasi"},
            {"text": "obat kosong di puskesmas"},
        ]
    ).encode()
    result, out = analyze(small_model_dir, data)
    assert result.exit_code == 0
    assert [o["id"] for o in out] == ["a", 2, None]
    first = out[0]
    assert first["sector"]["label"] == "adminduk"
    assert set(first) >= {"id", "sector", "sectors", "labels", "agencies", "regions", "model"}
    assert [s["label"] for s in first["sectors"]][0] == "adminduk"
    assert len(first["sectors"]) == 3
    assert all(0.0 <= s["score"] <= 1.0 for s in first["sectors"])
    assert first["model"]["name"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b'{"id": 1}', "missing_text"),
        (b'{"id": 1, "text": null}', "missing_text"),
        (b'{"id": 1, "text": 42}', "text_not_string"),
        (b'{"id": 1, "text": "   "}', "empty_text"),
        (b'["text"]', "not_an_object"),
        (b'{"id": 1, "text": "ok", "title": 5}', "title_not_string"),
        (b'{"id": 1, "text": "caf\xe9"}', "invalid_utf8"),
    ],
)
def test_a_bad_line_gets_an_error_and_the_run_goes_on(small_model_dir, line, code):
    good = json.dumps({"id": "g", "text": "jalan rusak parah"}).encode()
    result, out = analyze(small_model_dir, good + b"\n" + line + b"\n" + good + b"\n")
    assert result.exit_code == 0
    assert len(out) == 3
    assert out[1]["error"]["code"] == code and out[1]["error"]["message"]
    assert "sector" in out[0] and "sector" in out[2]


def test_text_over_the_limit_is_refused_clearly(small_model_dir):
    big = json.dumps({"id": "big", "text": "jalan rusak " * 200}).encode()
    result, out = analyze(small_model_dir, big + b"\n", "--max-chars", "1000")
    assert result.exit_code == 0
    assert out[0]["error"]["code"] == "text_too_large"
    assert "1,000" in out[0]["error"]["message"] and "--max-chars" in out[0]["error"]["message"]


def test_a_megabyte_text_is_analysed(small_model_dir):
    text = ("jalan kabupaten rusak berlubang tolong diperbaiki " * 21000)[:1_000_000]
    result, out = analyze(small_model_dir, json.dumps({"id": "mb", "text": text}).encode() + b"\n")
    assert result.exit_code == 0
    assert out[0]["sector"]["label"] == "infrastruktur"


def test_explanation_is_added_on_request(small_model_dir):
    data = json.dumps({"id": 1, "text": "KTP saya belum jadi di Dukcapil"}).encode()
    _, out = analyze(small_model_dir, data, "--explain")
    assert out[0]["explanation"]


def test_explanation_of_an_abstention_is_empty_not_missing(small_model_dir):
    data = json.dumps({"id": 1, "text": "selamat hari raya untuk semua warga"}).encode()
    _, out = analyze(small_model_dir, data, "--explain")
    assert out[0]["labels"] == [] and out[0]["sector"]["label"] == "lainnya"
    assert out[0]["explanation"] == []


def test_missing_model_is_an_error_with_exit_code(tmp_path):
    result = runner.invoke(app, ["analyze", "--model", str(tmp_path / "none")], input=b"{}\n")
    assert result.exit_code == 4
    assert "pilah train" in result.stderr


def test_train_on_user_csv_reports_bad_rows_by_number(tmp_path):
    csv_path = tmp_path / "data.csv"
    csv_path.write_text(
        "id,isi,kategori\n1,ktp belum jadi,adminduk\n2,,adminduk\n3,jalan rusak,jalan_raya\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["train", str(csv_path), "--text-field", "isi", "--label-field", "kategori",
              "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 3
    assert "data.csv:3: isi: empty text" in result.stderr
    assert "data.csv:4: kategori: unknown label(s) ['jalan_raya']" in result.stderr


def test_train_reports_text_that_is_not_unicode_by_row(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"id": "a", "text": "ktp belum jadi", "sectors": ["adminduk"]}\n'
        '{"id": "b", "text": "jalan \\ud800 rusak", "sectors": ["infrastruktur"]}\n'
        '{"id": "c\\udfff", "text": "obat habis", "sectors": ["kesehatan"]}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["train", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert "data.jsonl:2: text: not Unicode text" in result.stderr
    assert "data.jsonl:3: id: not Unicode text" in result.stderr


def test_retrain_on_own_label_set_without_touching_code(tmp_path, small_examples):
    tax = tmp_path / "tax.yaml"
    tax.write_text(
        "name: mine\nversion: 1\nabstain: lainnya\nsectors:\n"
        "  - {id: kependudukan, name: Kependudukan}\n  - {id: jalan, name: Jalan}\n"
        "  - {id: sehat, name: Sehat}\n",
        encoding="utf-8",
    )
    rename = {"adminduk": "kependudukan", "infrastruktur": "jalan", "kesehatan": "sehat", "lainnya": "lainnya"}
    data = tmp_path / "mine.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["isi", "kategori"])
        for ex in small_examples:
            w.writerow([ex.text, rename[ex.labels[0]]])
    out = tmp_path / "model"
    result = runner.invoke(
        app, ["train", str(data), "--taxonomy", str(tax), "--text-field", "isi", "--label-field", "kategori",
              "--folds", "3", "--test-size", "0.2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "MODEL_CARD.md").is_file()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["labels"] == ["kependudukan", "jalan", "sehat"]
    result = runner.invoke(
        app, ["evaluate", str(data), "--model", str(out), "--text-field", "isi", "--label-field", "kategori"]
    )
    assert result.exit_code == 0, result.stderr
    assert "kependudukan" in result.stdout and "macro-F1" in result.stdout
    _, lines = analyze(out, json.dumps({"text": "KTP saya belum jadi"}).encode())
    assert lines[0]["sector"]["label"] == "kependudukan"


def test_region_of_the_desk_fills_in_an_agency_named_without_one(small_model_dir):
    data = json.dumps({"id": 1, "text": "sudah tiga kali ke dinsos tidak ada hasil", "region": "Kota Cimahi"}).encode()
    _, out = analyze(small_model_dir, data)
    agency = out[0]["agencies"][0]
    assert agency["name"] == "Dinas Sosial Kota Cimahi" and agency["region_inferred"] is True


@pytest.mark.parametrize("region", ["99.99", "Kota Atlantis"])
def test_an_unknown_region_is_an_error_for_that_line_only(small_model_dir, region):
    lines = [{"id": 1, "text": "ke dinsos", "region": "15.05"}, {"id": 2, "text": "ke dinsos", "region": region},
             {"id": 3, "text": "ke dinsos"}]
    result, out = analyze(small_model_dir, "\n".join(json.dumps(x) for x in lines).encode())
    assert result.exit_code == 0 and [o["id"] for o in out] == [1, 2, 3]
    assert out[0]["agencies"][0]["name"] == "Dinas Sosial Kabupaten Muaro Jambi"
    assert out[1]["error"]["code"] == "unknown_region"
    assert region in out[1]["error"]["message"] and '"Kabupaten Muaro Jambi"' in out[1]["error"]["message"]
    assert out[2]["agencies"][0]["name"] == "Dinas Sosial"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b'{"id": 2, "text": "jalan \\ud800 rusak"}', "invalid_utf8"),  # unpaired surrogate escape
        (b'{"id": ' + b"9" * 5000 + b', "text": "x"}', "invalid_json"),  # too many digits to convert
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),  # nesting beyond the parser
        (b'{"id": NaN, "text": "jalan rusak"}', "invalid_json"),  # not JSON
        (b'{"id": 1.5, "text": "jalan rusak"}', "invalid_id"),
        (b'{"id": 3, "text": "jalan", "title": "' + b"x" * 2000 + b'"}', "text_too_large"),  # title counts
    ],
)
def test_hostile_lines_are_answered_in_place(small_model_dir, line, code):
    good = json.dumps({"id": "g", "text": "jalan rusak parah"}).encode()
    result, out = analyze(small_model_dir, good + b"\n" + line + b"\n" + good + b"\n", "--max-chars", "1000")
    assert result.exit_code == 0
    assert [o.get("id") for o in out][::2] == ["g", "g"] and len(out) == 3
    assert out[1]["error"]["code"] == code


def test_a_byte_order_mark_at_the_start_is_ignored(small_model_dir):
    result, out = analyze(small_model_dir, b'\xef\xbb\xbf{"id": "bom", "text": "jalan rusak"}\n')
    assert out[0]["id"] == "bom" and "sector" in out[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PILAH_ADMIN_API_KEY": "short-secret"},
         "error [invalid_setting]: PILAH_ADMIN_API_KEY: too short; set a key of at least 16 characters"),
        ({"PILAH_MAX_TEXT_BYTES": "abc-secret"},
         "error [invalid_setting]: PILAH_MAX_TEXT_BYTES: not a whole number; set a size in bytes"),
        ({"PILAH_PORT": "70000"}, "error [invalid_setting]: PILAH_PORT: above the maximum of 65535"),
        ({"PILAH_LOG_LEVEL": "loud-secret"}, "error [invalid_setting]: PILAH_LOG_LEVEL: not a log level"),
    ],
)
def test_serve_with_a_bad_setting_names_it_without_its_value(small_model_dir, env, expected):
    result = runner.invoke(app, ["serve", "--model", str(small_model_dir)], env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(expected)
    assert "secret" not in result.stderr and "70000" not in result.stderr
    assert "Traceback" not in result.stderr and "input_value" not in result.stderr


def test_every_bad_setting_gets_its_own_line(small_model_dir):
    env = {"PILAH_ADMIN_API_KEY": "short", "PILAH_WORKERS": "many"}
    result = runner.invoke(app, ["serve", "--model", str(small_model_dir)], env=env)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 2
    assert [line.split(":")[1].strip() for line in lines] == ["PILAH_WORKERS", "PILAH_ADMIN_API_KEY"]


def test_settings_built_for_the_app_fail_without_the_value(monkeypatch):
    from pilah.service.settings import SettingsError, get_settings

    monkeypatch.setenv("PILAH_ADMIN_API_KEY", "short-secret")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as info:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert info.value.code == "invalid_setting" and "secret" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
