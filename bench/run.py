"""Pilah benchmarks (`make bench`): writes BENCHMARKS.md.

Throughput is measured against a baseline in the same run, on the same texts, so that the ratio stays
meaningful on a shared, noisy machine. Each figure is the best of several timed passes after a warm-up pass.

- Core pipeline: full analysis (all sector scores, agencies, regions) vs the naive pipeline most public
  projects use (Sastrawi's cached `stemmer.stem(text)` over the whole document, then TfidfVectorizer +
  LinearSVC), on complaint-size (40-60 words) and news-size (~400 words) texts.
- Extraction alone (agencies + regions), same texts.
- Cold start: a fresh `pilah analyze` process answering one line (process start, imports, model load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _texts(kind: str, n: int, seed: int = 1) -> list[str]:
    """Benchmark texts from the corpus: complaint-size (40-60 words) or news-size (~400 words)."""
    from pilah.corpus.records import read_corpus

    rng = random.Random(seed)
    corpus = read_corpus()
    if kind == "complaint":
        pool = [ex.text for ex in corpus if ex.kind == "complaint" and 40 <= len(ex.text.split()) <= 60]
        return [rng.choice(pool) for _ in range(n)]
    news = [ex.full_text for ex in corpus if ex.kind == "news"]
    out = []
    for _ in range(n):
        words: list[str] = []
        while len(words) < 400:
            words += rng.choice(news).split()
        out.append(" ".join(words[:400]))
    return out


def _rate(fn: Callable[[Sequence[str]], object], texts: Sequence[str], repeats: int = 3) -> float:
    fn(texts)  # warm-up: caches filled, as in a long-running service
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def naive_baseline() -> Callable[[Sequence[str]], object]:
    """The pipeline most public projects use: whole-text Sastrawi stemming, TF-IDF, LinearSVC."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from pilah.corpus.records import read_corpus

    stemmer = StemmerFactory().create_stemmer()
    corpus = read_corpus()
    X = [stemmer.stem(ex.full_text) for ex in corpus]
    y = [ex.labels[0] for ex in corpus]
    clf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), LinearSVC())
    clf.fit(X, y)

    def run(texts: Sequence[str]) -> object:
        return clf.predict([stemmer.stem(t) for t in texts])

    return run


def pilah_full(model_dir: Path) -> tuple[Callable[[Sequence[str]], object], Callable[[Sequence[str]], object]]:
    from pilah.models.analysis import Document
    from pilah.service.jobs import load_analyzer

    analyzer = load_analyzer(model_dir)

    def full(texts: Sequence[str]) -> object:
        out = []
        for i in range(0, len(texts), 256):  # the CLI's batch size
            out += analyzer.analyze([Document(id=None, text=t) for t in texts[i : i + 256]])
        return out

    def extract(texts: Sequence[str]) -> object:
        return [analyzer.extractor.extract(t) for t in texts]

    return full, extract


def stage_rates(model_dir: Path, texts: Sequence[str]) -> list[tuple[str, float]]:
    """docs/s of each stage of the full analysis, and of the naive pipeline's stemming step alone."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    from pilah.service.jobs import load_analyzer

    analyzer = load_analyzer(model_dir)
    model = analyzer.model
    prepared = model.prepare(texts)
    stemmer = StemmerFactory().create_stemmer()
    return [
        ("normalise + stem (Pilah)", _rate(lambda t: model.prepare(t), texts)),
        ("features + classifier (Pilah)", _rate(lambda t: model.proba_prepared(prepared), texts)),
        ("agencies + regions (Pilah)", _rate(lambda t: [analyzer.extractor.extract(x) for x in t], texts)),
        ("whole-text Sastrawi stem (naive)", _rate(lambda t: [stemmer.stem(x) for x in t], texts)),
    ]


def import_times(runs: int = 3) -> list[tuple[str, float]]:
    """Seconds to start Python and import each heavy dependency, each in a fresh process (median)."""
    out = []
    for label, code in (("python alone", "pass"), ("scikit-learn (sklearn.base)", "import sklearn.base"),
                        ("skops.io", "import skops.io"), ("spaCy", "import spacy"),
                        ("gazetteer + extractor build", "from pilah.corpus.gazetteer import load_extractor; "
                                                        "load_extractor()")):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        out.append((label, statistics.median(times)))
    return out


def cold_start(model_dir: Path, runs: int = 5) -> float:
    exe = Path(sys.executable).with_name("pilah")
    line = json.dumps({"text": "KTP saya belum jadi di Dukcapil Sarolangun"}) + "\n"
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "analyze", "--model", str(model_dir)], input=line.encode(),
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def agency_quality_section() -> list[str]:
    """Agency extraction quality: the corpus's held-out split and idner-news-2k (real news, MIT)."""
    from pilah.corpus.gazetteer import load_extractor
    from pilah.corpus.records import read_corpus, split_ids
    from pilah.models.agency_eval import evaluate_annotated, evaluate_conll_government

    extractor = load_extractor()
    held = split_ids()
    ann = evaluate_annotated([ex for ex in read_corpus() if ex.id in held], extractor)
    out = [
        "## Agency extraction quality",
        "",
        "Command: `pilah evaluate-agencies --conll ../shared/eval/idner-news-2k/test.txt`.",
        "",
        "| data | scoring | precision | recall | F1 |",
        "|---|---|---:|---:|---:|",
    ]
    for key in ("exact_span", "canonical_name"):
        m = ann[key]
        out.append(f"| corpus held-out split ({ann['documents']} texts, {m['gold']} mentions) | {key} | "
                   f"{m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    conll = ROOT.parent / "shared" / "eval" / "idner-news-2k" / "test.txt"
    if conll.is_file():
        c = evaluate_conll_government(conll, extractor)
        out.append(f"| idner-news-2k test, {c['government_orgs']} government ORG spans | recall (overlap / exact) "
                   f"| | {c['recall_overlap']:.3f} / {c['recall_exact']:.3f} | |")
    else:
        out.append("| idner-news-2k | not found beside the repository | | | |")
    out.append("")
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--n-complaints", type=int, default=2000)
    ap.add_argument("--n-news", type=int, default=300)
    ap.add_argument("--batch-docs", type=int, default=100_000, help="Archive size of the batch benchmark.")
    ap.add_argument("--skip", default="", help="Comma-separated sections to skip: load,batch")
    args = ap.parse_args()
    model_dir = Path(args.model)

    complaints = _texts("complaint", args.n_complaints)
    news = _texts("news", args.n_news)
    baseline = naive_baseline()
    full, extract = pilah_full(model_dir)
    rows = []
    for name, texts in (("complaint-size (40-60 words)", complaints), ("news-size (~400 words)", news)):
        b = _rate(baseline, texts)
        f = _rate(full, texts)
        e = _rate(extract, texts)
        rows.append((name, len(texts), b, f, e))
        print(f"{name}: naive {b:,.0f} docs/s, pilah full {f:,.0f} docs/s ({f / b:.2f}x), extraction {e:,.0f}")
    cold = cold_start(model_dir)
    print(f"cold start {cold:.2f} s")
    stages = stage_rates(model_dir, complaints)
    imports = import_times()

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    lines = [
        "# Benchmarks",
        "",
        f"Command: `make bench` (`python bench/run.py`). Machine: {machine()}. Date: {today}. Commit: {commit}.",
        "Single process, one core busy. Each figure is the best of 3 timed passes after a warm-up pass over the",
        "same texts (caches warm). Texts are drawn from the shipped corpus; news-size texts are ~400-word",
        "concatenations of news texts.",
        "",
        "## Core pipeline: full analysis vs the naive pipeline",
        "",
        "Naive pipeline: one `StemmerFactory().create_stemmer()` (Sastrawi's cached stemmer), `stemmer.stem(text)`",
        "over each whole document, then `TfidfVectorizer` + `LinearSVC` (sector label only, no agencies).",
        "Pilah full: normalisation, stemming, all sector probabilities, thresholds, agencies and regions.",
        "",
        "| texts | n | naive docs/s | Pilah full docs/s | ratio (target >= 2x) | extraction only docs/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, n, b, f, e in rows:
        lines.append(f"| {name} | {n} | {b:,.0f} | {f:,.0f} | {f / b:.2f}x | {e:,.0f} |")
    lines += [
        "",
        "Cold start (fresh `pilah analyze` process answering one line: start, imports, model load, answer),",
        f"median of 5: **{cold:.2f} s** (target < 1.5 s).",
        "",
        "Where the time goes, complaint-size texts (same run, best of 3 passes after a warm-up):",
        "",
        "| stage | docs/s | us per document |",
        "|---|---:|---:|",
        *[f"| {name} | {rate:,.0f} | {1e6 / rate:,.0f} |" for name, rate in stages],
        "",
        "Where the cold start goes (a fresh `python -c ...` per line, median of 3; each line includes starting",
        "Python and the imports it pulls in, so lines overlap):",
        "",
        "| import | seconds |",
        "|---|---:|",
        *[f"| {name} | {sec:.2f} |" for name, sec in imports],
        "",
    ]
    lines += agency_quality_section()
    skip = set(args.skip.split(","))
    if "load" not in skip:
        from load import load_section

        lines += load_section(model_dir)
    if "batch" not in skip:
        from batch import batch_section

        lines += batch_section(model_dir, args.batch_docs)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
