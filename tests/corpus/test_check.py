from __future__ import annotations

import json

import pytest

from pilah.corpus.check import check_corpus, near_duplicates


def record(rid: str, text: str, sectors=("adminduk",), agencies=(), **extra):
    rec = {"id": rid, "text": text, "sectors": list(sectors), "kind": "complaint",
           "agencies": list(agencies), "source": "written"}
    rec.update(extra)
    return rec


def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_valid_file_passes(tmp_path):
    text = "Pelayanan Dukcapil Sarolangun lambat sekali"
    f = write(tmp_path / "a.jsonl", [
        record("a1", text, agencies=[{"start": 10, "end": 29, "name": "Dinas Kependudukan dan Pencatatan Sipil "
                                      "Kabupaten Sarolangun", "text": "Dukcapil Sarolangun"}]),
        record("a2", "jalan di depan rumah kami rusak berat", sectors=["infrastruktur"]),
    ])
    report = check_corpus([f])
    assert report.ok, report.render()
    assert report.stats["agency_annotated"] == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (record("b1", "teks", sectors=["jalan_raya"]), "unknown label"),
        (record("b1", "teks", agencies=[{"start": 0, "end": 3, "name": "X", "text": "tek"}]), ""),
        (record("b1", "Dukcapil lambat", agencies=[{"start": 0, "end": 5, "name": "X", "text": "Dukcapil"}]),
         "not 'Dukcapil'"),
        (record("b1", "teks", kind="tweet"), "is not one of"),
        (record("b1", "teks", sectors=["lainnya", "sosial"]), "cannot be combined"),
        ({"id": "b1", "text": "tanpa label"}, "required property"),
    ],
)
def test_each_kind_of_bad_record_is_reported(tmp_path, bad, message):
    f = write(tmp_path / "b.jsonl", [bad])
    report = check_corpus([f])
    if message:
        assert not report.ok
        assert any(message in e for e in report.errors), report.errors
    else:
        assert report.ok, report.errors


def test_duplicates_are_found(tmp_path):
    base = "sudah tiga bulan saya menunggu kartu keluarga yang baru di kantor dukcapil kabupaten dan belum jadi"
    f = write(tmp_path / "d.jsonl", [
        record("d1", base), record("d2", base), record("d3", base + " juga"),
        record("d4", "jalan rusak di desa kami"), record("d1", "id ganda"),
    ])
    report = check_corpus([f])
    assert report.stats["exact_duplicates"] == 1
    assert report.stats["near_duplicates"] >= 2
    assert any("appears 2 times" in e for e in report.errors)


def test_near_duplicate_threshold():
    a = "warga desa mengeluhkan jalan rusak yang tidak pernah diperbaiki oleh pemerintah kabupaten sejak lama"
    b = a.replace("sejak lama", "sejak dulu")
    c = "anak saya belum menerima kartu indonesia pintar padahal sudah terdaftar di sekolah"
    pairs = near_duplicates([a, b, c])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


@pytest.mark.parametrize("bad_id", ["yes", '"a b"', '"a|b"'])
def test_taxonomy_ids_must_be_plain_strings(tmp_path, bad_id):
    from pilah.corpus.taxonomy import load_taxonomy
    from pilah.nlp.errors import DataError

    f = tmp_path / "t.yaml"
    f.write_text(f"sectors:\n  - id: {bad_id}\n  - id: jalan\n", encoding="utf-8")
    with pytest.raises(DataError, match="sector ids"):
        load_taxonomy(f)


def test_length_buckets_are_listed_shortest_first(tmp_path):
    words = {"a": 5, "b": 20, "c": 200, "d": 10, "e": 50, "f": 500, "g": 100}
    f = write(tmp_path / "a.jsonl", [
        record(rid, " ".join(f"kata{rid}{i}" for i in range(n)), sectors=["infrastruktur"]) for rid, n in words.items()
    ])
    stats = check_corpus([f]).stats
    assert list(stats["length"]) == ["<8", "8-14", "15-39", "40-79", "80-149", "150-399", "400+"]
    assert "length: <8: 1, 8-14: 1, 15-39: 1, 40-79: 1, 80-149: 1, 150-399: 1, 400+: 1" in check_corpus([f]).render()
