"""Inter-annotator agreement on agency mentions, and where the extractor stands against it.

A second annotator, who saw neither the original annotations nor the extractor's output, annotated a random
sample of the held-out split from the written convention alone (corpus/README.md, section 3). Agreement is
scored with the extractor's own metric (``evaluate_annotated``): the second annotator is treated as one more
system against the original gold. A system can hardly be expected to agree with one annotator better than two
annotators agree with each other.

    python bench/agreement.py            # the shipped sample, corpus/eval/agreement/second_annotator.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pilah.corpus.gazetteer import load_extractor
from pilah.corpus.records import Example, read_corpus
from pilah.models.agency_eval import evaluate_annotated


class Annotations:
    """An "extractor" that answers with stored annotations, so that they are scored like a system."""

    def __init__(self, by_text: dict[str, list[dict[str, Any]]]) -> None:
        self.by_text = by_text

    def extract(self, text: str, region_hint: str | None = None) -> dict[str, list[dict[str, Any]]]:
        return {"agencies": self.by_text[text], "regions": []}


def read_second(path: Path, corpus: dict[str, Example]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        ex = corpus[row["id"]]
        for m in row["agencies"]:
            if ex.text[m["start"] : m["end"]] != m["text"]:
                raise SystemExit(f"{row['id']}: offsets {m['start']}-{m['end']} do not give {m['text']!r}")
        out[row["id"]] = row["agencies"]
    return out


def _row(what: str, result: dict[str, Any]) -> str:
    c, s = result["canonical_name"], result["exact_span"]
    return (f"| {what} | {c['precision']:.3f} | {c['recall']:.3f} | **{c['f1']:.3f}** | {s['f1']:.3f} | "
            f"{c['predicted']} | {c['gold']} |")


DEFAULT = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "agreement" / "second_annotator.jsonl"


def agreement_rows(paths: list[Path]) -> list[str]:
    """A Markdown table: second annotator vs gold, extractor vs gold and vs the second annotator, per writer."""
    corpus = {ex.id: ex for ex in read_corpus()}
    second: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        second.update(read_second(path, corpus))
    sample = [corpus[i] for i in sorted(second)]
    by_text = {corpus[i].text: a for i, a in second.items()}
    extractor = load_extractor()
    # The second annotator as the reference, for the extractor's score against it.
    as_gold = [Example(id=ex.id, text=ex.text, labels=ex.labels, region=ex.region,
                       agencies=tuple(second[ex.id])) for ex in sample]
    writers = sorted({ex.id.split("-")[0] for ex in sample})
    out = [f"Sample: {len(sample)} texts of the held-out split (writers {', '.join(writers)}), "
           f"{sum(len(ex.agencies) for ex in sample)} original mentions, "
           f"{sum(len(a) for a in second.values())} second-annotator mentions.", "",
           "| compared | precision | recall | F1 (canonical name) | F1 (exact span) | predicted | reference |",
           "|---|---:|---:|---:|---:|---:|---:|",
           _row("second annotator vs original gold", evaluate_annotated(sample, Annotations(by_text))),
           _row("extractor vs original gold", evaluate_annotated(sample, extractor)),
           _row("extractor vs second annotator", evaluate_annotated(as_gold, extractor))]
    for w in writers:
        part = [ex for ex in sample if ex.id.startswith(w + "-")]
        out.append(_row(f"second annotator vs original gold, {w} only ({len(part)} texts)",
                        evaluate_annotated(part, Annotations(by_text))))
        out.append(_row(f"extractor vs original gold, {w} only", evaluate_annotated(part, extractor)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("second", type=Path, nargs="*", default=[DEFAULT],
                    help="JSONL: {id, agencies: [{start, end, text, name}]} (default: the shipped sample)")
    args = ap.parse_args()
    print("\n".join(agreement_rows(args.second)))


if __name__ == "__main__":
    main()
