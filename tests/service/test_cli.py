from __future__ import annotations

import csv
import json
from pathlib import Path

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


def test_a_region_of_several_names_them(small_model_dir):
    lines = [{"id": 1, "text": "ke dinsos", "region": "Bogor"}, {"id": 2, "text": "ke dinsos", "region": "Kab. Bogor"}]
    result, out = analyze(small_model_dir, "\n".join(json.dumps(x) for x in lines).encode())
    assert out[0]["error"]["code"] == "ambiguous_region"
    assert "'Kabupaten Bogor' (32.01) or 'Kota Bogor' (32.71)" in out[0]["error"]["message"]
    assert out[1]["agencies"][0]["name"] == "Dinas Sosial Kabupaten Bogor"


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
    assert "over the limit of 1,000; split the document or raise --max-chars" in out[0]["error"]["message"]


@pytest.mark.parametrize(("option", "value"), [("--max-chars", "0"), ("--max-chars", "-5"), ("--batch-size", "0")])
def test_a_limit_below_one_is_refused_before_reading(small_model_dir, option, value):
    result, out = analyze(small_model_dir, b'{"text": "jalan rusak"}\n', option, value)
    assert result.exit_code == 2 and out == []
    assert result.stderr == f"error [invalid_option]: {option} must be at least 1, not {value}; leave it out for " \
                            "the default.\n"


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


def test_evaluate_agencies_with_a_missing_conll_file_says_so_without_a_traceback(tmp_path):
    result = runner.invoke(app, ["evaluate-agencies", "--conll", str(tmp_path / "test.txt")])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error [io_error]: Cannot read ")
    assert "--conll is optional" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_agencies_refuses_a_file_that_is_not_conll(tmp_path):
    notes = tmp_path / "README.md"
    notes.write_text("# Pilah\n\nIndonesian text mining.\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate-agencies", "--conll", str(notes)])
    assert result.exit_code == 3
    assert "error [invalid_conll]: " in result.stderr and "README.md:3" in result.stderr
    assert "recall" not in result.stdout


def test_train_with_other_column_names_says_so_in_one_line(tmp_path):
    path = tmp_path / "my_labels.csv"
    path.write_text("id,isi,kategori\n" + "".join(f"{i},ktp belum jadi,adminduk\n" for i in range(400)),
                    encoding="utf-8")
    result = runner.invoke(app, ["train", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error [missing_column]: ")
    assert "column 'text' not found (name the text column with --text-field)" in result.stderr
    assert "the columns are id, isi, kategori" in result.stderr


def test_train_groups_the_same_problem_on_many_rows(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("isi,kategori\n" + "".join(",adminduk\n" for _ in range(400)), encoding="utf-8")
    result = runner.invoke(app, ["train", str(path), "--text-field", "isi", "--label-field", "kategori",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert len(result.stderr.splitlines()) == 2
    assert "data.csv rows 2, 3, 4, 5, 6 and 395 more (400 rows): isi: empty text" in result.stderr


def _options_of(command: str) -> set[str]:
    import re

    help_text = runner.invoke(app, [command, "--help"], terminal_width=200).stdout
    return set(re.findall(r"--[a-z][a-z-]+", help_text))


def test_evaluate_messages_name_the_evaluation_data_and_only_its_own_options(small_model_dir, tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("isi,kategori\n,adminduk\njalan rusak,jalan_raya\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--model", str(small_model_dir), "--text-field", "isi",
                                 "--label-field", "kategori"])
    assert result.exit_code == 3
    assert "The evaluation data has 2 problem(s)" in result.stderr
    assert "training" not in result.stderr
    import re

    suggested = set(re.findall(r"--[a-z][a-z-]+", result.stderr))
    assert suggested >= {"--skip-invalid", "--model"}
    assert suggested <= _options_of("evaluate")
    missing = runner.invoke(app, ["evaluate", str(path), "--model", str(small_model_dir)])
    assert missing.exit_code == 3 and "--text-field" in missing.stderr
    assert set(re.findall(r"--[a-z][a-z-]+", missing.stderr)) <= _options_of("evaluate")


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b""])
def test_a_json_error_gives_the_line_and_the_column_where_the_line_stops(small_model_dir, end):
    good = json.dumps({"id": "g", "text": "jalan rusak parah"}).encode()
    result, out = analyze(small_model_dir, good + b"\n" + b'{"id": 2, "text": ' + end)
    assert result.exit_code == 0
    assert out[1]["error"] == {"code": "invalid_json",
                               "message": "invalid JSON (Expecting value at line 2, column 19)"}


def test_decoding_one_line_reports_the_column_within_that_line():
    from pilah.corpus.jsonl import decode_json_line

    assert decode_json_line(b'{"id": 2 "text": "x"}\r\n')[1] == (
        "invalid_json", "invalid JSON (Expecting ',' delimiter at column 10)")
    assert decode_json_line(b'{"text": "x"}\r\n') == ({"text": "x"}, None)


README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_block(lang: str) -> str:
    import re

    match = re.search(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, f"README has no {lang} block"
    return match.group(1)


def test_readme_example_files_are_valid_for_the_commands_shown(tmp_path):
    from pilah.corpus.records import read_labelled
    from pilah.corpus.taxonomy import load_taxonomy

    labels = tmp_path / "my_labels.csv"
    labels.write_text(_readme_block("csv"), encoding="utf-8")
    tax = tmp_path / "my_taxonomy.yaml"
    tax.write_text(_readme_block("yaml"), encoding="utf-8")
    fields = {"text_field": "isi", "label_field": "kategori"}
    for taxonomy in (load_taxonomy(), load_taxonomy(tax)):
        examples, problems = read_labelled(labels, taxonomy=taxonomy, **fields)
        assert problems == [] and len(examples) == 5


def test_readme_commands_use_only_options_the_commands_have():
    import re

    lines = README.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    checked = 0
    for line in lines:
        m = re.match(r"\s*\.venv/bin/pilah ([a-z-]+)(?: (check))?(.*)", line)
        if not m:
            continue
        command = [m.group(1)] + ([m.group(2)] if m.group(2) else [])
        used = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", m.group(3).split("#")[0]))
        help_text = runner.invoke(app, [*command, "--help"], terminal_width=200).stdout
        assert used <= set(re.findall(r"--[a-z][a-z-]+", help_text)), (line, used)
        checked += 1
    assert checked >= 10


def test_training_on_a_few_rows_names_the_short_sectors_instead_of_a_split_traceback(tmp_path):
    labels = tmp_path / "my_labels.csv"
    labels.write_text(_readme_block("csv"), encoding="utf-8")
    tax = tmp_path / "my_taxonomy.yaml"
    tax.write_text(_readme_block("yaml"), encoding="utf-8")
    result = runner.invoke(app, ["train", str(labels), "--text-field", "isi", "--label-field", "kategori",
                                 "--taxonomy", str(tax), "--out", str(tmp_path / "m")])
    assert result.exit_code == 3, result.exception
    assert "error [invalid_data]: Too few training texts for sector(s)" in result.stderr


def test_analyze_help_names_every_input_field():
    help_text = runner.invoke(app, ["analyze", "--help"], terminal_width=200).stdout
    for field in ('"text"', '"id"', '"title"', '"region"'):
        assert field in help_text


@pytest.mark.parametrize(("command", "usage"), [
    (["analyze"], "[FILE]"), (["train"], "[FILE]"), (["evaluate"], "[FILE]"), (["evaluate-agencies"], "[FILE]"),
    (["corpus", "check"], "[FILE]"), (["batch"], "{INPUT}"), (["report"], "{DIR}"), (["serve"], ""),
])
def test_help_shows_readable_value_names_and_none_for_flags(command, usage):
    help_text = runner.invoke(app, [*command, "--help"], terminal_width=200).stdout
    option_rows = [line for line in help_text.splitlines() if "--" in line and "--help" not in line]
    assert option_rows
    for row in option_rows:
        assert not any(t in row for t in ("<bool>", "<path>", "<int>", "<str>", "<float>", "list[")), row
    assert ("Usage: pilah " + " ".join(command) + " [OPTIONS] " + usage).rstrip() in help_text


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
