"""A held-out text never also trains the model: users' files, feedback and the corpus may share texts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from pilah.corpus.records import Example
from pilah.service.cli import app
from pilah.service.jobs import drop_test_duplicates

runner = CliRunner()


def _taxonomy(tmp_path: Path) -> Path:
    """The three sectors of the small examples."""
    tax = tmp_path / "tax.yaml"
    tax.write_text(
        "name: mine\nversion: 1\nabstain: lainnya\nsectors:\n"
        "  - {id: adminduk, name: Adminduk}\n  - {id: infrastruktur, name: Infrastruktur}\n"
        "  - {id: kesehatan, name: Kesehatan}\n",
        encoding="utf-8",
    )
    return tax


def _ex(i: int, text: str) -> Example:
    return Example(id=str(i), text=text, labels=("sosial",))


def test_training_texts_that_repeat_held_out_ones_are_left_out():
    train = [_ex(1, "Bansos  belum cair"), _ex(2, "jalan rusak parah"), _ex(3, "KTP belum jadi")]
    test = [_ex(9, "bansos belum\ncair"), _ex(10, "ktp belum jadi ya")]
    kept, dropped = drop_test_duplicates(train, test)
    assert [ex.id for ex in kept] == ["2", "3"]  # case and spacing do not make a text new; a changed word does
    assert dropped == 1
    assert drop_test_duplicates(train, []) == (train, 0)


def test_train_reports_and_leaves_out_training_rows_that_repeat_the_test_file(tmp_path, small_examples):
    data, test = tmp_path / "mine.csv", tmp_path / "test.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "sectors"])
        for ex in small_examples:
            w.writerow([ex.text, ex.labels[0]])
    repeated = small_examples[:2] + small_examples[-2:]
    with test.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "sectors"])
        for ex in repeated:
            w.writerow([ex.text.upper(), ex.labels[0]])
    tax = _taxonomy(tmp_path)
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(data), "--test", str(test), "--taxonomy", str(tax), "--folds", "3",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "4 training texts left out: they repeat held-out texts" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert "4 training texts left out: they repeat held-out texts" in json.dumps(meta)


def test_a_correction_of_a_held_out_text_written_differently_trains_and_leaves_the_test(tmp_path, small_examples):
    """The held-out copy (old label) leaves the test split; the correction is not counted as a duplicate."""
    from pilah.service.feedback import FeedbackStore

    data, test = tmp_path / "mine.csv", tmp_path / "test.csv"
    for path, rows in ((data, small_examples[2:]), (test, small_examples[:2])):
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "sectors"])
            for ex in rows:
                w.writerow([ex.text, ex.labels[0]])
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    corrected = small_examples[0]
    store.add(doc_id="c1", text="  " + corrected.text.upper() + " ", labels=[corrected.labels[0]], agencies=None,
              model_version=None)
    tax = _taxonomy(tmp_path)
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(data), "--test", str(test), "--feedback", str(tmp_path / "fb.sqlite3"),
                                 "--taxonomy", str(tax), "--folds", "3", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "left out" not in result.stderr  # the correction trains
    meta = json.loads((out / "meta.json").read_text())
    assert meta["metrics"]["test"]["n"] == 1  # the corrected text left the held-out split
