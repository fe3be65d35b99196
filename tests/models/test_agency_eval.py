"""Scoring of agency extraction: annotated JSONL and CoNLL NER data.

The extractor is replaced by a fixed one here (the unit-test boundary): these tests check the arithmetic and
the parsing, not the extractor, which has its own tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pilah.corpus.records import Example
from pilah.models.agency_eval import (
    evaluate_annotated,
    evaluate_conll_government,
    format_agency_report,
    read_conll_orgs,
    read_conll_sentences,
)
from pilah.nlp.errors import DataError, PilahError

CONLL = """\
Kemarin ADP O
Kemensos PROPN B-ORG
dan CCONJ O
Polda PROPN B-ORG
Jambi PROPN I-ORG
bertemu VERB O
Budi PROPN B-PER
di ADP O
DPR PROPN B-LOC
. PUNCT O

Partai PROPN I-ORG
Hijau PROPN I-ORG
menolak VERB O
. PUNCT O

Tidak PART O
ada VERB O
apa-apa PRON O
. PUNCT O
"""


class FixedExtractor:
    """Returns, for each text, mentions of the given surface strings (every occurrence)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # surface -> canonical name
        self.calls: list[tuple[str, str | None]] = []

    def extract(self, text: str, region_hint: str | None = None) -> dict[str, list[dict[str, Any]]]:
        self.calls.append((text, region_hint))
        found = []
        for surface, name in self.names.items():
            at = text.find(surface)
            while at >= 0:
                found.append({"text": surface, "start": at, "end": at + len(surface), "name": name})
                at = text.find(surface, at + 1)
        return {"agencies": sorted(found, key=lambda m: m["start"]), "regions": []}


@pytest.fixture
def conll_file(tmp_path: Path) -> Path:
    path = tmp_path / "ner.txt"
    path.write_text(CONLL, encoding="utf-8")
    return path


def test_conll_sentences_keep_entity_offsets(conll_file: Path) -> None:
    sentences = read_conll_sentences(conll_file)
    assert [s.text for s in sentences] == [
        "Kemarin Kemensos dan Polda Jambi bertemu Budi di DPR .",
        "Partai Hijau menolak .",
        "Tidak ada apa-apa .",
    ]
    first = sentences[0]
    assert [(first.text[s:e], k) for s, e, k in first.entities] == [
        ("Kemensos", "ORG"), ("Polda Jambi", "ORG"), ("Budi", "PER"), ("DPR", "LOC")]
    # An entity that starts with I- (no B-) still starts an entity.
    assert [(sentences[1].text[s:e], k) for s, e, k in sentences[1].entities] == [("Partai Hijau", "ORG")]
    assert sentences[2].entities == ()
    assert [o.text for o in read_conll_orgs(conll_file)] == ["Kemensos", "Polda Jambi", "Partai Hijau"]


def test_conll_government_recall_and_precision_estimate(conll_file: Path) -> None:
    extractor = FixedExtractor({"Kemensos": "Kementerian Sosial", "Polda": "Kepolisian Daerah Jambi",
                                "DPR": "Dewan Perwakilan Rakyat"})
    result = evaluate_conll_government(conll_file, extractor, selected={"Kemensos", "Polda Jambi"})
    assert result["government_orgs"] == 2
    assert result["recall_overlap"] == 1.0  # "Polda" overlaps "Polda Jambi"
    assert result["recall_exact"] == 0.5
    assert result["misses"] == []
    # Every sentence is read, including those without a government body.
    assert len(extractor.calls) == 3 and result["sentences"] == 3
    assert result["extracted"] == 3
    assert result["precision_org_overlap"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["unsupported"] == [("DPR [LOC]", 1)]


def test_conll_government_lists_misses(conll_file: Path) -> None:
    result = evaluate_conll_government(conll_file, FixedExtractor({}), selected={"Kemensos", "Polda Jambi"})
    assert result["recall_overlap"] == 0.0
    assert dict(result["misses"]) == {"Kemensos": 1, "Polda Jambi": 1}
    assert result["extracted"] == 0 and result["precision_org_overlap"] == 0.0


def _example(ex_id: str, text: str, gold: list[tuple[str, str]], region: str | None = None) -> Example:
    agencies = []
    for surface, name in gold:
        at = text.index(surface)
        agencies.append({"start": at, "end": at + len(surface), "name": name, "text": surface})
    return Example(id=ex_id, text=text, labels=("sosial",), region=region, agencies=tuple(agencies))


def test_annotated_scores_spans_and_names_separately() -> None:
    examples = [
        # Right name, span one word too short: a canonical hit, not an exact-span one.
        _example("a", "Dinsos Kota Jambi lambat.", [("Dinsos Kota Jambi", "Dinas Sosial Kota Jambi")]),
        # Right span and name.
        _example("b", "Lapor ke Kemensos saja.", [("Kemensos", "Kementerian Sosial")], region="15.71"),
        # A miss, and a false hit.
        _example("c", "Disdukcapil tutup, Dinkes buka.", [("Disdukcapil", "Dinas Kependudukan")]),
    ]
    extractor = FixedExtractor({"Dinsos Kota": "Dinas  sosial Kota Jambi", "Kemensos": "Kementerian Sosial",
                                "Dinkes": "Dinas Kesehatan"})
    result = evaluate_annotated(examples, extractor)
    assert ("Lapor ke Kemensos saja.", "15.71") in extractor.calls  # the desk's region reaches the extractor
    assert result["documents"] == 3
    third = pytest.approx(1 / 3, abs=1e-4)
    assert result["exact_span"] == {"precision": third, "recall": third, "f1": third, "tp": 1, "predicted": 3,
                                    "gold": 3}
    names = result["canonical_name"]
    assert (names["tp"], names["predicted"], names["gold"]) == (2, 3, 3)  # names compare without case or spaces
    assert result["misses"] == ["c: 'Disdukcapil' -> dinaskependudukan"]
    assert result["false_hits"] == ["c: 'Dinkes' -> dinaskesehatan"]
    report = format_agency_report(result, None, show=5)
    assert "| canonical_name | 0.667 | 0.667 | 0.667 | 2 | 3 | 3 |" in report
    assert "c: 'Disdukcapil' -> dinaskependudukan" in report


def test_a_missing_conll_file_is_an_io_error(tmp_path: Path) -> None:
    with pytest.raises(PilahError) as err:
        read_conll_sentences(tmp_path / "absent.txt")
    assert err.value.code == "io_error" and "absent.txt" in err.value.message


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("# Pilah\n\nSome prose here.\n", 3),  # a Markdown file ("#" lines are comments in CoNLL-U)
        ("Kemarin ADP O\nKemensos PROPN B-ORG\nini baris biasa tanpa tag\n", 3),  # last column is no tag
        ("Kemarin ADP O\nKemensos\n", 2),  # a token without a tag
    ],
)
def test_a_file_that_is_not_conll_is_refused_at_its_first_bad_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "notes.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_conll_sentences(path)
    assert err.value.code == "invalid_conll"
    assert f"notes.md:{line} is not a CoNLL NER line" in err.value.message


def test_conll_without_org_spans_is_refused_not_scored_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "per.txt"
    path.write_text("Budi PROPN B-PER\ndatang VERB O\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        evaluate_conll_government(path, FixedExtractor({}))
    assert err.value.code == "no_government_orgs" and "no ORG entity" in err.value.message


def test_conll_whose_orgs_are_not_on_the_government_list_is_refused(conll_file: Path) -> None:
    with pytest.raises(DataError) as err:
        evaluate_conll_government(conll_file, FixedExtractor({}), selected={"Kementerian Tidak Ada"})
    assert err.value.code == "no_government_orgs" and "None of the 3 ORG span(s)" in err.value.message


def test_iobes_tags_comments_and_docstart_lines_are_read(tmp_path):
    path = tmp_path / "iobes.txt"
    path.write_text(
        "-DOCSTART- -X- O\n\n# sent_id = 1\nKemarin O\nKemensos S-ORG\ndan O\nPolda B-ORG\nJambi E-ORG\n"
        "bertemu O\nBudi U-PER\n.\tO\n",
        encoding="utf-8",
    )
    (sentence,) = read_conll_sentences(path)
    assert sentence.text == "Kemarin Kemensos dan Polda Jambi bertemu Budi ."
    assert [(sentence.text[s:e], k) for s, e, k in sentence.entities] == [
        ("Kemensos", "ORG"), ("Polda Jambi", "ORG"), ("Budi", "PER")]
