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
import re
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


_BARE_UNITS = ("kelurahan", "kecamatan", "puskesmas")


def bare_unit_rows() -> list[str]:
    """How often each writer group annotated a unit word written without a name after it ("ke kelurahan",
    "berobat ke puskesmas", not "Kelurahan Tondo"): the convention the annotators split on most."""
    from pilah.corpus.records import read_corpus, split_ids

    held = split_ids()
    counts: dict[tuple[str, str], list[int]] = {}
    for ex in read_corpus():
        split = "test" if ex.id in held else "training"
        for word in _BARE_UNITS:
            for m in re.finditer(rf"\b{word}\b", ex.text, re.IGNORECASE):
                if re.match(r"\s+[A-Z]", ex.text[m.end() : m.end() + 5]):
                    continue  # a name follows: not bare
                covered = any(int(a["start"]) <= m.start() < int(a["end"]) for a in ex.agencies)
                pair = counts.setdefault((word, split), [0, 0])
                pair[0] += covered
                pair[1] += 1
    out = ["| unit word without a name | annotated in training files | annotated in the test split |",
           "|---|---:|---:|"]
    for word in _BARE_UNITS:
        tr, te = counts.get((word, "training"), [0, 0]), counts.get((word, "test"), [0, 0])
        out.append(f"| {word} | {tr[0]} of {tr[1]} | {te[0]} of {te[1]} |")
    return out


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
    print("\n".join(agreement_rows(args.second) + [""] + bare_unit_rows()))


if __name__ == "__main__":
    main()
