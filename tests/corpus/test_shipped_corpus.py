"""The shipped corpus meets its promises, and the default model built from it honours the contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pilah.corpus.check import TARGETS, check_corpus
from pilah.corpus.records import read_corpus, split_ids
from pilah.service.jobs import default_model_dir


def test_shipped_corpus_passes_every_check_and_target():
    report = check_corpus(targets=True)
    assert report.ok, report.render()
    s = report.stats
    assert s["texts"] >= TARGETS["texts"]
    assert min(v for k, v in s["sectors"].items() if k != "lainnya") >= TARGETS["per_sector"]
    assert s["agency_annotated"] >= TARGETS["agency_annotated"]


def test_held_out_split_is_about_fifteen_percent_and_disjoint_from_training():
    corpus = read_corpus()
    held = split_ids()
    ids = {ex.id for ex in corpus}
    assert held <= ids
    assert 0.12 <= len(held) / len(ids) <= 0.18
    train_texts = {ex.text for ex in corpus if ex.id not in held}
    assert not any(ex.text in train_texts for ex in corpus if ex.id in held)


def test_second_annotation_sample_is_of_held_out_texts_with_exact_offsets():
    """corpus/eval/agreement: a blind second annotation of held-out texts (bench/agreement.py scores it)."""
    from importlib import resources

    held = split_ids()
    corpus = {ex.id: ex for ex in read_corpus()}
    path = resources.files("pilah.corpus").joinpath("eval", "agreement", "second_annotator.jsonl")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) >= 100 and len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["id"] in held, row["id"]
        text = corpus[row["id"]].text
        for m in row["agencies"]:
            assert text[m["start"] : m["end"]] == m["text"], (row["id"], m)
            assert m["name"].strip() == m["name"] and m["name"], (row["id"], m)


@pytest.fixture(scope="module")
def default_model():
    path = default_model_dir()
    if not (path / "meta.json").is_file():
        pytest.fail(f"No default model at {path}: run `make model` (make test builds it first).")
    return path


def test_default_model_card_reports_held_out_scores(default_model):
    meta = json.loads((default_model / "meta.json").read_text())
    assert meta["metrics"]["test"]["n"] == len(split_ids())
    assert meta["metrics"]["cv"]["macro_f1"] > 0.8
    card = (default_model / "MODEL_CARD.md").read_text()
    assert "Held-out test split" in card


def test_pilah_analyze_with_the_default_model_prints_the_contract(default_model):
    lines = [
        {"id": "a", "text": "sy udh 3 bln ngurus KK di Dukcapil Sarolangun blm jadi, tlg min"},
        {"id": "b", "text": ""},
        {"id": "c", "text": "Jembatan gantung di Desa Sungai Bertam putus, anak sekolah menyeberang sungai."},
    ]
    data = "\n".join(json.dumps(x) for x in lines) + "\n"
    proc = subprocess.run([sys.executable, "-m", "pilah.service.cli", "analyze"], input=data.encode(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[0]["sector"]["label"] == "adminduk" and out[0]["labels"][0] == "adminduk"
    assert len(out[0]["sectors"]) == 19
    assert out[0]["agencies"][0]["name"] == "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sarolangun"
    assert out[1]["error"]["code"] == "empty_text"
    assert out[2]["sector"]["label"] == "infrastruktur"
