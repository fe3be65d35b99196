"""Reading users' labelled files: column checks, grouped problems, JSON error positions."""

from __future__ import annotations

import pytest

from pilah.corpus.records import Problem, raise_on_problems, read_labelled, summarize_problems
from pilah.nlp.errors import DataError


def test_a_missing_text_column_is_one_error_naming_the_columns_and_the_option(tmp_path):
    path = tmp_path / "my_labels.csv"
    path.write_text("id,isi,kategori\n" + "".join(f"{i},ktp belum jadi,adminduk\n" for i in range(400)),
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_labelled(path, hints={"text_field": "--text-field", "label_field": "--label-field"})
    msg = err.value.message
    assert err.value.code == "missing_column"
    assert "\n" not in msg
    assert "column 'text' not found (name the text column with --text-field)" in msg
    assert "column 'sectors' not found (name the label column with --label-field)" in msg
    assert "the columns are id, isi, kategori" in msg


def test_a_missing_label_field_in_jsonl_is_found_across_rows_and_names_no_option_without_hints(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": 1, "text": "jalan rusak", "label": "infrastruktur"}\n{"id": 2, "text": "x"}\n',
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_labelled(path)
    assert err.value.code == "missing_column"
    assert err.value.message.endswith("field 'sectors' not found; the fields are id, text, label.")
    assert "--" not in err.value.message


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftext,sectors\nktp belum jadi,adminduk\n".encode())
    examples, problems = read_labelled(path)
    assert problems == [] and [ex.text for ex in examples] == ["ktp belum jadi"]


def test_unknown_label_advice_comes_from_the_caller(tmp_path):
    from pilah.corpus.taxonomy import load_taxonomy

    path = tmp_path / "d.csv"
    path.write_text("text,sectors\njalan rusak,jalan_raya\n", encoding="utf-8")
    _, plain = read_labelled(path, taxonomy=load_taxonomy())
    assert "--taxonomy" not in plain[0].message
    _, hinted = read_labelled(path, taxonomy=load_taxonomy(), hints={"unknown_label": "or pass --taxonomy"})
    assert hinted[0].message.endswith("or pass --taxonomy")


def test_the_same_problem_on_many_rows_is_one_line_with_a_count():
    problems = [Problem("d.csv", n, "isi", "empty text") for n in range(2, 402)]
    problems.insert(3, Problem("d.csv", 5, "kategori", "no label"))
    lines = summarize_problems(problems)
    assert lines == ["d.csv rows 2, 3, 4, 5, 6 and 395 more (400 rows): isi: empty text",
                     "d.csv:5: kategori: no label"]


def test_many_kinds_of_problem_are_capped_with_a_count_of_the_rest():
    problems = [Problem("d.csv", n, "kategori", f"unknown label(s) ['x{n}']") for n in range(2, 52)]
    problems += [Problem("d.csv", 60, "kategori", "unknown label(s) ['x2']")]
    lines = summarize_problems(problems, limit=20)
    assert len(lines) == 21
    assert lines[0] == "d.csv rows 2, 60 (2 rows): kategori: unknown label(s) ['x2']"
    assert lines[-1] == "... and 30 more problem(s) of 30 other kind(s)"


def test_raise_on_problems_suggests_skip_invalid_only_when_the_command_has_it():
    problems = [Problem("d.csv", 2, "text", "empty text")]
    with pytest.raises(DataError, match="--skip-invalid"):
        raise_on_problems(problems, what="The training data")
    with pytest.raises(DataError) as err:
        raise_on_problems(problems, what="The annotated data", skip_option=None)
    assert "--skip-invalid" not in err.value.message and err.value.message.startswith("The annotated data has 1")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id": 2, "text": ', "Expecting value at column 19"),  # ends early: the column after the last character
        ('{"id": 2 "text": "x"}', "Expecting ',' delimiter at column 10"),
    ],
)
def test_json_errors_give_the_column_of_the_line_itself(tmp_path, line, expected):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": 1, "text": "ok", "sectors": ["adminduk"]}\n' + line + "\r\n", encoding="utf-8")
    _, problems = read_labelled(path)
    assert [(p.row, p.message) for p in problems] == [(2, f"invalid JSON ({expected}); fix the line")]


@pytest.mark.parametrize("line", ['{"id": ' + "9" * 5000 + ', "text": "x"}', '{"id": NaN, "text": "x"}',
                                  "[" * 100_000 + "]" * 100_000])
def test_lines_the_json_module_cannot_take_are_problems_not_tracebacks(tmp_path, line):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": 1, "text": "ok", "sectors": ["adminduk"]}\n' + line + "\n", encoding="utf-8")
    _, problems = read_labelled(path)
    assert [(p.row, p.message.startswith("invalid JSON")) for p in problems] == [(2, True)]
