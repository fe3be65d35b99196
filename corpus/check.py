"""``pilah corpus check``: validate the corpus and print its statistics.

Checks: JSON Schema of every record, agency offsets (``text[start:end]`` must equal the mention), labels
against the taxonomy, unique ids, exact and near duplicates (word 3-shingle Jaccard >= 0.8), the held-out
split (every id exists; no templated text in it). With ``targets=True`` it also checks the numbers the
corpus promises (size, per-sector counts, kinds, agencies, regions, template share).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pilah.corpus.records import corpus_files, split_ids
from pilah.corpus.taxonomy import load_taxonomy

__all__ = ["CheckReport", "check_corpus", "near_duplicates", "TARGETS"]

NEAR_DUP_JACCARD = 0.8
TARGETS = {
    "texts": 3600,
    "complaints": 2800,
    "news": 800,
    "per_sector": 150,
    "agency_annotated": 1200,
    "provinces": 30,
    "regencies": 150,
    "max_template_share": 0.15,
    "max_near_dup_rate": 0.01,
}
_WORD = re.compile(r"\w+")


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    target_failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.target_failures

    def render(self) -> str:
        s = self.stats
        out = [f"records: {s.get('texts', 0)}  (held-out test split: {s.get('test', 0)})"]
        for key in ("kind", "register", "source", "length", "sectors", "n_labels"):
            if key in s:
                items = ", ".join(f"{k}: {v}" for k, v in s[key].items())
                out.append(f"{key}: {items}")
        for key in ("agency_annotated", "agency_mentions", "provinces", "regencies",
                    "exact_duplicates", "near_duplicates", "near_dup_rate", "template_share"):
            if key in s:
                out.append(f"{key}: {s[key]}")
        if "province_counts" in s:
            out.append("per province: " + ", ".join(f"{k}: {v}" for k, v in s["province_counts"].items()))
        if self.errors:
            out.append(f"\n{len(self.errors)} error(s):")
            out += [f"  {e}" for e in self.errors[:50]]
            if len(self.errors) > 50:
                out.append(f"  ... and {len(self.errors) - 50} more")
        if self.target_failures:
            out.append("\ntargets not met:")
            out += [f"  {t}" for t in self.target_failures]
        out.append("\nOK" if self.ok else "\nFAILED")
        return "\n".join(out)


def _schema() -> dict[str, Any]:
    text = resources.files("pilah.corpus").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def near_duplicates(texts: Sequence[str], threshold: float = NEAR_DUP_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose word 3-shingle sets have Jaccard >= threshold.

    Shingles are hashed into a sparse binary matrix; one sparse product gives every pair's intersection size.
    Exact for corpora of thousands of texts (no MinHash approximation needed at this size).
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    if len(texts) < 2:
        return []

    def shingles(text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        if len(words) < 3:
            return [" ".join(words)]
        return [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]

    vec = HashingVectorizer(analyzer=shingles, n_features=1 << 22, binary=True, norm=None,
                            alternate_sign=False, dtype=np.float32)
    X = vec.transform(texts).tocsr()
    sizes = np.asarray(X.sum(axis=1)).ravel()
    inter = (X @ X.T).tocoo()
    pairs = []
    for i, j, v in zip(inter.row, inter.col, inter.data, strict=True):
        if i >= j:
            continue
        union = sizes[i] + sizes[j] - v
        jac = float(v / union) if union else 1.0
        if jac >= threshold:
            pairs.append((int(i), int(j), round(jac, 3)))
    return pairs


def _region_index() -> tuple[dict[str, str], re.Pattern[str], dict[str, re.Pattern[str]]]:
    """Bare kabupaten/kota names -> province, one regex for all of them, province names."""
    from pilah.corpus.gazetteer import list_regions

    bare_to_prov: dict[str, str] = {}
    provinces = {}
    for region in list_regions():
        if region.level == "provinsi":
            provinces[region.name] = re.compile(r"\b" + re.escape(region.name) + r"\b", re.IGNORECASE)
        else:
            bare_to_prov.setdefault(region.bare.lower(), region.province)
    names = sorted(bare_to_prov, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
    return bare_to_prov, pattern, provinces


_LENGTH_BUCKETS = ((8, "<8"), (15, "8-14"), (40, "15-39"), (80, "40-79"), (150, "80-149"), (400, "150-399"))
_LENGTH_ORDER = [name for _, name in _LENGTH_BUCKETS] + ["400+"]


def _length_bucket(n: int) -> str:
    for limit, name in _LENGTH_BUCKETS:
        if n < limit:
            return name
    return "400+"


def check_corpus(files: Sequence[Path] | None = None, *, targets: bool = False) -> CheckReport:
    from jsonschema import Draft202012Validator

    report = CheckReport()
    taxonomy = load_taxonomy()
    known = taxonomy.labels
    validator = Draft202012Validator(_schema())
    records: list[dict[str, Any]] = []
    ids: Counter[str] = Counter()
    for path in files or corpus_files():
        with Path(path).open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                where = f"{Path(path).name}:{n}"
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    report.errors.append(f"{where}: invalid JSON ({exc.msg})")
                    continue
                errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
                for e in errs:
                    loc = "/".join(str(p) for p in e.path) or "record"
                    report.errors.append(f"{where}: {loc}: {e.message}")
                if errs:
                    continue
                ids[rec["id"]] += 1
                for lab in rec["sectors"]:
                    if lab not in known:
                        report.errors.append(f"{where}: sectors: unknown label {lab!r}")
                if taxonomy.abstain in rec["sectors"] and len(rec["sectors"]) > 1:
                    report.errors.append(f"{where}: sectors: {taxonomy.abstain!r} cannot be combined")
                text = rec["text"]
                for a in rec["agencies"]:
                    span = text[a["start"] : a["end"]]
                    if a["end"] <= a["start"] or a["end"] > len(text):
                        report.errors.append(f"{where}: agencies: bad offsets {a['start']}-{a['end']}")
                    elif "text" in a and span != a["text"]:
                        report.errors.append(
                            f"{where}: agencies: text[{a['start']}:{a['end']}] is {span!r}, not {a['text']!r}"
                        )
                rec["_where"] = where
                records.append(rec)
    for rid, n in ids.items():
        if n > 1:
            report.errors.append(f"id {rid!r} appears {n} times")

    split = split_ids()
    held = split if files is None else {r["id"] for r in records if r["id"] in split}
    missing = held - set(ids)
    if files is None and missing:
        report.errors.append(f"test split lists {len(missing)} unknown id(s), e.g. {sorted(missing)[:3]}")
    for r in records:
        if r["id"] in held and r["source"] == "template":
            report.errors.append(f"{r['_where']}: templated text in the held-out split")

    texts = [r["text"] for r in records]
    exact = len(texts) - len(set(texts))
    near = near_duplicates(texts)
    near_ids = {i for p in near for i in p[:2]}
    for i, j, jac in near[:20]:
        report.errors.append(
            f"near duplicate (Jaccard {jac}): {records[i]['_where']} and {records[j]['_where']}"
        )
    if len(near) > 20:
        report.errors.append(f"... {len(near) - 20} more near-duplicate pairs")

    bare_to_prov, pattern, provinces = _region_index()
    prov_counts: Counter[str] = Counter()
    regencies: set[str] = set()
    for r in records:
        found = {m.group(1).lower() for m in pattern.finditer(r["text"]) if m.group(1)[0].isupper()
                 or r["text"][max(0, m.start() - 10) : m.start()].lower().strip().endswith(("kab", "kab.", "kota",
                                                                                                "kabupaten"))}
        regencies |= found
        provs = {bare_to_prov[f] for f in found}
        provs |= {name for name, pat in provinces.items() if pat.search(r["text"])}
        for p in provs:
            prov_counts[p] += 1

    sector_counts: Counter[str] = Counter(lab for r in records for lab in r["sectors"])
    n = len(records)
    s = report.stats
    s["texts"] = n
    s["test"] = sum(1 for r in records if r["id"] in held)
    s["kind"] = dict(Counter(r["kind"] for r in records))
    s["register"] = dict(Counter(r.get("register", "-") for r in records))
    s["source"] = dict(Counter(r["source"] for r in records))
    lengths = Counter(_length_bucket(len(r["text"].split())) for r in records)
    s["length"] = {name: lengths[name] for name in _LENGTH_ORDER if lengths[name]}  # shortest first, not as text
    s["sectors"] = {k: sector_counts.get(k, 0) for k in [*taxonomy.ids, taxonomy.abstain]}
    s["n_labels"] = dict(Counter(len(r["sectors"]) for r in records))
    s["agency_annotated"] = sum(1 for r in records if r["agencies"])
    s["agency_mentions"] = sum(len(r["agencies"]) for r in records)
    s["provinces"] = len(prov_counts)
    s["regencies"] = len(regencies)
    s["province_counts"] = dict(prov_counts.most_common())
    s["exact_duplicates"] = exact
    s["near_duplicates"] = len(near)
    s["near_dup_rate"] = round(len(near_ids) / n, 4) if n else 0.0
    s["template_share"] = round(s["source"].get("template", 0) / n, 4) if n else 0.0

    if exact:
        report.errors.append(f"{exact} exact duplicate text(s)")
    if targets:
        t = TARGETS
        checks = [
            (n >= t["texts"], f"texts {n} < {t['texts']}"),
            (s["kind"].get("complaint", 0) >= t["complaints"], f"complaints < {t['complaints']}"),
            (s["kind"].get("news", 0) >= t["news"], f"news < {t['news']}"),
            (s["agency_annotated"] >= t["agency_annotated"], f"agency-annotated < {t['agency_annotated']}"),
            (s["provinces"] >= t["provinces"], f"provinces {s['provinces']} < {t['provinces']}"),
            (s["regencies"] >= t["regencies"], f"kabupaten/kota {s['regencies']} < {t['regencies']}"),
            (s["template_share"] < t["max_template_share"], "template share >= 15%"),
            (s["near_dup_rate"] < t["max_near_dup_rate"], "near-duplicate rate >= 1%"),
        ]
        checks += [
            (c >= t["per_sector"], f"sector {k}: {c} < {t['per_sector']}")
            for k, c in s["sectors"].items() if k != taxonomy.abstain
        ]
        report.target_failures = [msg for ok, msg in checks if not ok]
    return report
