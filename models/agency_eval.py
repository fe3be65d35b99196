"""Evaluation of agency extraction.

- On annotated JSONL (the corpus's held-out split by default): exact-span and canonical-name precision,
  recall and F1, micro-averaged over mentions, with the misses and false hits listed.
  Exact span: same ``start`` and ``end``. Canonical name: per document, the multiset of linked names.
- On CoNLL NER data (idner-news-2k): recall of the ORG spans that name government bodies, as a check on real
  news we did not write. A gold span counts as found when an extracted mention covers it (overlap), and
  exactly when the spans are equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pilah.corpus.records import Example
from pilah.nlp.agencies import squash_name

__all__ = ["evaluate_annotated", "evaluate_conll_government", "format_agency_report", "read_conll_orgs"]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp,
            "predicted": n_pred, "gold": n_gold}


def evaluate_annotated(examples: Sequence[Example], extractor: Any) -> dict[str, Any]:
    span_tp = name_tp = n_pred = n_gold = 0
    misses: list[str] = []
    false_hits: list[str] = []
    for ex in examples:
        gold = [(int(a["start"]), int(a["end"]), str(a["name"])) for a in ex.agencies]
        found = extractor.extract(ex.text, region_hint=ex.region)["agencies"]
        pred = [(m["start"], m["end"], squash_name(m["name"])) for m in found]
        gold = [(s, e, squash_name(n)) for s, e, n in gold]
        n_pred += len(pred)
        n_gold += len(gold)
        span_tp += len({(s, e) for s, e, _ in gold} & {(s, e) for s, e, _ in pred})
        g_names = Counter(n for _, _, n in gold)
        p_names = Counter(n for _, _, n in pred)
        name_tp += sum((g_names & p_names).values())
        for name, k in (g_names - p_names).items():
            surf = next(ex.text[s:e] for s, e, n in gold if n == name)
            misses.append(f"{ex.id}: {surf!r} -> {name}" + (f" (x{k})" if k > 1 else ""))
        for name, k in (p_names - g_names).items():
            surf = next(ex.text[s:e] for s, e, n in pred if n == name)
            false_hits.append(f"{ex.id}: {surf!r} -> {name}" + (f" (x{k})" if k > 1 else ""))
    return {
        "documents": len(examples),
        "exact_span": _prf(span_tp, n_pred, n_gold),
        "canonical_name": _prf(name_tp, n_pred, n_gold),
        "misses": misses,
        "false_hits": false_hits,
    }


@dataclass(frozen=True)
class ConllOrg:
    sentence: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.sentence[self.start : self.end]


def read_conll_orgs(path: str | Path) -> list[ConllOrg]:
    """ORG spans of a CoNLL file (token, ..., BIO tag), with sentences rebuilt by joining tokens with spaces."""
    out: list[ConllOrg] = []
    tokens: list[tuple[str, str]] = []

    def flush() -> None:
        if not tokens:
            return
        sentence = " ".join(t for t, _ in tokens)
        pos = 0
        start = end = None
        for tok, tag in tokens:
            s, e = pos, pos + len(tok)
            pos = e + 1
            if tag == "B-ORG" or (tag == "I-ORG" and start is None):
                if start is not None:
                    out.append(ConllOrg(sentence, start, end))  # type: ignore[arg-type]
                start, end = s, e
            elif tag == "I-ORG":
                end = e
            else:
                if start is not None:
                    out.append(ConllOrg(sentence, start, end))  # type: ignore[arg-type]
                start = end = None
        if start is not None:
            out.append(ConllOrg(sentence, start, end))  # type: ignore[arg-type]
        tokens.clear()

    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                flush()
            else:
                tokens.append((parts[0], parts[-1]))
    flush()
    return out


def government_org_list() -> set[str]:
    text = resources.files("pilah.corpus").joinpath("eval", "idner_government_orgs.txt").read_text("utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def evaluate_conll_government(
    path: str | Path, extractor: Any, selected: Iterable[str] | None = None
) -> dict[str, Any]:
    wanted = set(selected) if selected is not None else government_org_list()
    orgs = [o for o in read_conll_orgs(path) if o.text in wanted]
    cache: dict[str, list[dict[str, Any]]] = {}
    found = exact = 0
    misses: list[str] = []
    for org in orgs:
        mentions = cache.get(org.sentence)
        if mentions is None:
            mentions = cache[org.sentence] = extractor.extract(org.sentence)["agencies"]
        overlap = [m for m in mentions if m["start"] < org.end and org.start < m["end"]]
        if overlap:
            found += 1
            exact += any(m["start"] == org.start and m["end"] == org.end for m in overlap)
        else:
            misses.append(org.text)
    n = len(orgs)
    return {
        "government_orgs": n,
        "recall_overlap": round(found / n, 4) if n else 0.0,
        "recall_exact": round(exact / n, 4) if n else 0.0,
        "misses": sorted(Counter(misses).items(), key=lambda kv: -kv[1]),
    }


def format_agency_report(annotated: dict[str, Any] | None, conll: dict[str, Any] | None, *,
                         show: int = 30) -> str:
    lines: list[str] = []
    if annotated is not None:
        lines += [f"Agency extraction on {annotated['documents']} annotated documents", "",
                  "| scoring | precision | recall | F1 | tp | predicted | gold |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for key in ("exact_span", "canonical_name"):
            m = annotated[key]
            lines.append(f"| {key} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['tp']} | "
                         f"{m['predicted']} | {m['gold']} |")
        lines += ["", f"misses (gold names not produced), first {show} of {len(annotated['misses'])}:"]
        lines += [f"  {m}" for m in annotated["misses"][:show]]
        lines += ["", f"false hits (names produced, not in gold), first {show} of {len(annotated['false_hits'])}:"]
        lines += [f"  {m}" for m in annotated["false_hits"][:show]]
    if conll is not None:
        lines += ["", f"Government organisations in CoNLL data: {conll['government_orgs']}",
                  f"recall (an extracted mention overlaps the span): {conll['recall_overlap']:.3f}",
                  f"recall (exact span): {conll['recall_exact']:.3f}",
                  "missed: " + ", ".join(f"{t} (x{k})" for t, k in conll["misses"])]
    return "\n".join(lines) + "\n"
