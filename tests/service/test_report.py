"""The batch report: CSV aggregates, PNG charts and index.html, from a small synthetic batch output."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pilah.nlp.errors import DataError
from pilah.service.batch import result_schema
from pilah.service.report import build_report

CHROMIUM = os.environ.get("PILAH_CHROMIUM") or shutil.which("chromium")

SECTORS = ["adminduk", "infrastruktur", "kesehatan", "lainnya"]
MONTHS = ["2024-01", "2024-02", "2024-03"]
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sarolangun"
PUPR = "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Bogor"
DINKES = "Dinas Kesehatan Provinsi Jambi"
SCRIPT = "<script>alert('x')</script>"

SCHEMA = result_schema()


def _agency(text: str, surface: str, name: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {"text": surface, "start": start, "end": start + len(surface), "name": name, "acronym": None,
            "kind": "dinas", "level": "kabupaten", "region_code": None, "region_name": None,
            "region_inferred": False, "sectors": []}


def _region(code: str, name: str) -> dict:
    return {"text": name, "start": 0, "end": 0, "code": code, "name": name, "level": "x"}


def _row(i: int) -> dict:
    """Row ``i`` of 60: sector cycles every row, month every 4 rows (so 5 of each sector per month)."""
    sector = SECTORS[i % 4]
    date = f"{MONTHS[(i // 4) % 3]}-{1 + i % 28:02d}" + ("T08:30:00" if i % 2 else "")
    date = {45: None, 47: "2024-13-01", 50: "kemarin"}.get(i, date)  # three rows without a usable month
    agencies, regions = [], []
    if sector == "adminduk":
        text = f"KTP {i} belum jadi di Dukcapil Sarolangun, tolong Dukcapil Sarolangun cek."
        agencies = [_agency(text, "Dukcapil Sarolangun", DUKCAPIL)]
        regions = [_region("15.03", "Sarolangun")]
        if i % 8 == 0:  # 8 of the 15 rows name the agency twice, and the province twice
            agencies.append(_agency(text, "Dukcapil Sarolangun", DUKCAPIL, nth=1))
            regions.append(_region("15", "Jambi"))
    elif sector == "infrastruktur":
        text = f"Jalan {i} rusak parah, Dinas PUPR Kabupaten Bogor tolong perbaiki."
        agencies = [_agency(text, "Dinas PUPR Kabupaten Bogor", PUPR)]
        regions = [_region("32.01", "Bogor")]
    elif sector == "kesehatan":
        text = f"Obat {i} kosong di puskesmas, Dinkes Jambi harus turun tangan."
        agencies = [_agency(text, "Dinkes Jambi", DINKES)]
        regions = [_region("15", "Jambi")]
        if i % 8 == 2:  # 8 of the 15 rows also blame the roads
            text += " Jalan ke puskesmas rusak, Dinas PUPR Kabupaten Bogor diam saja."
            agencies.append(_agency(text, "Dinas PUPR Kabupaten Bogor", PUPR))
            regions.append(_region("32.01.05", "Cibinong"))
    else:
        text = SCRIPT + " terima kasih" if i == 3 else f"Selamat pagi {i}, terima kasih."
    return {
        "id": f"doc-{i}", "source": "in.jsonl", "row": i + 1, "date": date,
        "title": "A & B <i>judul</i>" if i == 3 else f"Laporan {i}",
        "text": text, "sector": sector, "sector_score": 0.9,
        "labels": [] if sector == "lainnya" else [sector],
        "sectors": [{"label": sector, "score": 0.9}],
        "agencies": agencies, "regions": regions, "model_version": "2024.06-test",
    }


def _write_batch(out: Path, *, text: bool = True, summary: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rows = [_row(i) for i in range(60)]
    schema = SCHEMA if text else SCHEMA.remove(SCHEMA.get_field_index("text"))
    for shard in range(3):
        part = [{k: v for k, v in r.items() if k in schema.names} for r in rows[shard * 20:(shard + 1) * 20]]
        pq.write_table(pa.Table.from_pylist(part, schema=schema), out / f"part-{shard:05d}.parquet",
                       compression="zstd")
        error = {"id": f"bad-{shard}", "source": "in.jsonl", "row": 99, "code": "empty_text", "message": "x"}
        (out / f"part-{shard:05d}.errors.jsonl").write_text(json.dumps(error) + "\n")
    if summary:
        (out / "summary.json").write_text(json.dumps({
            "rows_in": 65, "ok": 60, "errors": 5, "balanced": True, "shards": 3,
            "model": {"name": "pilah-default", "version": "2024.06-summary"}, "inputs": ["in.jsonl"],
        }))
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.marks: list[tuple[str, str]] = []
        self.links: list[str] = []
        self._mark: str | None = None
        self._mark_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a["src"] or "")
        elif tag in ("link", "script", "a") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src") or "")
        elif tag == "mark":
            self._mark, self._mark_text = a.get("title") or "", ""

    def handle_data(self, data: str) -> None:
        if self._mark is not None:
            self._mark_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._mark is not None:
            self.marks.append((self._mark, self._mark_text))
            self._mark = None


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    batch = _write_batch(tmp_path_factory.mktemp("batch"))
    out = tmp_path_factory.mktemp("report") / "report"
    return build_report(batch_dir=batch, out_dir=out, top=15, samples=3, title="Laporan <uji>")


@pytest.fixture(scope="module")
def page(report: Path) -> _Page:
    parsed = _Page()
    parsed.feed(report.read_text(encoding="utf-8"))
    return parsed


def test_returns_index_html_in_out_dir(report: Path) -> None:
    assert report.name == "index.html" and report.is_file()


def test_documents_per_sector_per_month_match_the_rows_written(report: Path) -> None:
    rows = _csv(report.parent / "docs_by_sector_month.csv")
    got = {(r["month"], r["sector"]): int(r["documents"]) for r in rows}
    expected = {(m, s): 5 for m in MONTHS for s in SECTORS}
    expected[("2024-03", "infrastruktur")] = 4  # row 45: no date
    expected[("2024-03", "lainnya")] = 4  # row 47: month 13
    expected[("2024-01", "kesehatan")] = 4  # row 50: "kemarin"
    expected.update({("unknown", "infrastruktur"): 1, ("unknown", "lainnya"): 1, ("unknown", "kesehatan"): 1})
    assert got == expected
    assert sum(got.values()) == 60


def test_abstention_share_overall_and_per_month(report: Path) -> None:
    rows = {r["period"]: r for r in _csv(report.parent / "abstention.csv")}
    assert list(rows) == ["all", "2024-01", "2024-02", "2024-03", "unknown"]
    assert [rows["all"][k] for k in ("documents", "abstained", "share")] == ["60", "15", "0.250000"]
    per_month = [(rows[m]["documents"], rows[m]["abstained"]) for m in MONTHS]
    assert per_month == [("19", "5"), ("20", "5"), ("18", "4")]
    assert float(rows["2024-03"]["share"]) == pytest.approx(4 / 18, abs=1e-6)
    assert (rows["unknown"]["documents"], rows["unknown"]["abstained"]) == ("3", "1")


def test_top_agencies_count_mentions_and_documents(report: Path) -> None:
    rows = [tuple(r.values()) for r in _csv(report.parent / "top_agencies.csv")]
    assert rows == [  # rank, name, mentions, documents
        ("1", PUPR, "23", "23"),
        ("2", DUKCAPIL, "23", "15"),
        ("3", DINKES, "15", "15"),
    ]


def test_top_agencies_per_primary_sector(report: Path) -> None:
    rows = {(r["sector"], r["name"]): (int(r["mentions"]), int(r["documents"]))
            for r in _csv(report.parent / "top_agencies_by_sector.csv")}
    assert rows == {
        ("adminduk", DUKCAPIL): (23, 15),
        ("infrastruktur", PUPR): (15, 15),
        ("kesehatan", DINKES): (15, 15),
        ("kesehatan", PUPR): (8, 8),
    }


def test_top_limits_the_agency_tables(tmp_path: Path) -> None:
    batch = _write_batch(tmp_path / "batch")
    build_report(batch_dir=batch, out_dir=tmp_path / "r", top=1, samples=0)
    assert [r["name"] for r in _csv(tmp_path / "r" / "top_agencies.csv")] == [PUPR]
    assert len(_csv(tmp_path / "r" / "top_agencies_by_sector.csv")) == 3


def test_sectors_per_province_count_each_document_once_per_province(report: Path) -> None:
    rows = {(r["province_code"], r["province"], r["sector"]): int(r["documents"])
            for r in _csv(report.parent / "sectors_by_province.csv")}
    assert rows == {
        ("15", "Jambi", "adminduk"): 15,  # 8 rows name both 15.03 and 15: still one each
        ("15", "Jambi", "kesehatan"): 15,
        ("32", "Jawa Barat", "infrastruktur"): 15,
        ("32", "Jawa Barat", "kesehatan"): 8,
    }


def test_page_shows_headline_numbers_and_province_table(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<title>Laporan &lt;uji&gt;</title>" in text
    assert ">60<" in text and ">5<" in text  # documents, errors from summary.json
    assert "25.0%" in text
    assert "2024.06-summary" in text
    assert "Jawa Barat" in text and "Jambi" in text


def test_html_references_every_png_and_every_png_is_valid(report: Path, page: _Page) -> None:
    from PIL import Image

    pngs = sorted(p.name for p in report.parent.glob("*.png"))
    assert pngs == ["sectors_by_month.png", "top_agencies.png"]
    assert sorted(page.imgs) == pngs
    for name in pngs:
        data = (report.parent / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(report.parent / name) as im:
            im.verify()
            assert im.size[0] > 300 and im.size[1] > 100


def test_page_loads_nothing_from_outside(report: Path, page: _Page) -> None:
    assert all("://" not in url and not url.startswith("//") for url in page.imgs + page.links)
    assert "<script" not in report.read_text(encoding="utf-8")


def test_marks_carry_the_canonical_name(page: _Page) -> None:
    assert (DUKCAPIL, "Dukcapil Sarolangun") in page.marks
    assert (PUPR, "Dinas PUPR Kabupaten Bogor") in page.marks
    assert (DINKES, "Dinkes Jambi") in page.marks
    assert all(title in {DUKCAPIL, PUPR, DINKES} for title, _ in page.marks)


def test_samples_per_sector(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    for i in range(12):  # the first three rows of each sector, in shard order
        assert f">doc-{i}<" in text
    assert ">doc-12<" not in text


def test_text_and_titles_are_html_escaped(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; terima kasih" in text
    assert "A &amp; B &lt;i&gt;judul&lt;/i&gt;" in text


def test_without_text_shows_titles_and_agency_names(tmp_path: Path) -> None:
    batch = _write_batch(tmp_path / "batch", text=False, summary=False)
    index = build_report(batch_dir=batch, out_dir=tmp_path / "r", samples=1)
    html = index.read_text(encoding="utf-8")
    assert "<mark" not in html
    assert "Laporan 0" in html and f"Agencies: {DUKCAPIL}" in html
    assert ">3<" in html  # errors counted from the part-*.errors.jsonl files without summary.json
    assert "2024.06-test" in html  # model version from the rows without summary.json


def test_empty_directory_is_a_clear_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"No batch shards \(part-\*\.parquet\).*Run `pilah batch"):
        build_report(batch_dir=tmp_path, out_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_shard_without_a_required_column_is_a_clear_data_error(tmp_path: Path) -> None:
    batch = _write_batch(tmp_path / "batch")
    table = pq.read_table(batch / "part-00001.parquet").drop_columns(["labels"])
    pq.write_table(table, batch / "part-00001.parquet")
    message = r"part-00001\.parquet lacks the column\(s\) labels.*Re-run `pilah batch"
    with pytest.raises(DataError, match=message):
        build_report(batch_dir=batch, out_dir=tmp_path / "r")


@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install Debian's `chromium` or set PILAH_CHROMIUM"
)
def test_report_renders_in_a_browser_with_every_image_loaded(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file://") else None)
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        widths = page.evaluate("Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert len(widths) == 2 and all(w > 0 for w in widths)
    assert outside == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_months_come_from_the_dates_pilah_batch_writes(tmp_path: Path, small_model_dir: Path) -> None:
    from pilah.service.batch import BatchOptions, run_batch

    rows = [("a", "2026-01-07T08:30:00+07:00"), ("b", "20260201"), ("c", "2026-02-03 10:00"), ("d", None),
            ("e", "kemarin")]  # "kemarin" is an invalid_date error, not a document of an unknown month
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": i, "isi": "jalan kabupaten rusak berlubang", "tgl": d}) + "\n"
                            for i, d in rows))
    batch_dir = tmp_path / "batch"
    run_batch([str(data)], BatchOptions(out_dir=str(batch_dir), model_dir=str(small_model_dir), text_col="isi",
                                        date_col="tgl"), workers=1, quiet=True)
    build_report(batch_dir=batch_dir, out_dir=tmp_path / "report")
    with (tmp_path / "report" / "docs_by_sector_month.csv").open(encoding="utf-8") as fh:
        months = Counter[str]()
        for r in csv.DictReader(fh):
            months[r["month"]] += int(r["documents"])
    assert months == {"2026-01": 1, "2026-02": 2, "unknown": 1}
