"""Pilah benchmarks (`make bench`): writes BENCHMARKS.md.

Throughput is measured against a baseline in the same run, on the same texts, so that the ratio stays
meaningful on a shared, noisy machine.

- Core pipeline: full analysis (all sector scores, agencies, regions) vs the naive pipeline most public
  projects use (Sastrawi's cached `stemmer.stem(text)` over the whole document, then TfidfVectorizer +
  LinearSVC), on complaint-size (40-60 words) and news-size (~400 words) texts, two ways:
  - new texts: both pipelines warmed up on the training split, then timed on texts they have never seen
    (held-out complaints; real news from idner-news-2k), once each, as a service meets them; fresh pipelines
    per round, rounds interleaved, best round kept;
  - repeated texts: best of 3 passes over the same texts after a warm-up pass over them (every cache warm).
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


def naive_baseline(train_texts: Sequence[str], train_labels: Sequence[str]) -> Callable[[Sequence[str]], object]:
    """The pipeline most public projects use: whole-text Sastrawi stemming, TF-IDF, LinearSVC.

    Fitted on the training split only; fitting stems every training text, which warms Sastrawi's cache.
    """
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    stemmer = StemmerFactory().create_stemmer()
    X = [stemmer.stem(t) for t in train_texts]
    clf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), LinearSVC())
    clf.fit(X, list(train_labels))

    def run(texts: Sequence[str]) -> object:
        return clf.predict([stemmer.stem(t) for t in texts])

    return run


def _training_split() -> tuple[list[str], list[str]]:
    from pilah.corpus.records import read_corpus, split_ids

    held = split_ids()
    train = [ex for ex in read_corpus() if ex.id not in held]
    return [ex.full_text for ex in train], [ex.labels[0] for ex in train]


def idner_dir() -> Path:
    """Where idner-news-2k (MIT, measurement only) is: ``$PILAH_IDNER_DIR``, else ``../shared/eval/idner-news-2k``
    beside the repository; without it the news rows use held-out news and say so."""
    return Path(os.environ.get("PILAH_IDNER_DIR") or ROOT.parent / "shared" / "eval" / "idner-news-2k")


def _new_texts() -> tuple[dict[str, list[str]], str]:
    """Texts neither pipeline saw while warming up, by kind: held-out complaints of 40-60 words, and ~400-word
    documents of real news (idner-news-2k, sentences joined in order; held-out news if it is missing); and
    where the news came from."""
    from pilah.corpus.records import read_corpus, split_ids

    held = split_ids()
    corpus = [ex for ex in read_corpus() if ex.id in held]
    complaints = [ex.text for ex in corpus if ex.kind == "complaint" and 40 <= len(ex.text.split()) <= 60]
    words: list[str] = []
    conll_dir = idner_dir()
    if conll_dir.is_dir():
        for name in ("train.txt", "dev.txt", "test.txt"):
            for line in (conll_dir / name).read_text(encoding="utf-8").splitlines():
                if line.strip():
                    words.append(line.split()[0])
        source = "idner-news-2k (real news)"
    else:
        for ex in corpus:
            if ex.kind == "news":
                words += ex.full_text.split()
        source = "held-out news"
    news = [" ".join(words[i : i + 400]) for i in range(0, len(words) - 399, 400)]
    return {"complaint": complaints, "news": news}, source


def new_text_rates(model_dir: Path, rounds: int = 5) -> list[tuple[str, int, float, float]]:
    """(texts, n, naive docs/s, Pilah docs/s) on texts not seen before; fresh, warmed pipelines per round."""
    train_texts, train_labels = _training_split()
    new, news_source = _new_texts()
    best: dict[tuple[str, str], float] = {}

    def once(fn: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
        t0 = time.perf_counter()
        fn(texts)
        return len(texts) / (time.perf_counter() - t0)

    for _ in range(rounds):
        naive = naive_baseline(train_texts, train_labels)
        full, _ = pilah_full(model_dir, fresh=True)
        full(train_texts)  # warm-up on the training split, as the naive pipeline's fit
        for kind in ("complaint", "news"):
            for name, fn in (("naive", naive), ("pilah", full)):
                rate = once(fn, new[kind])
                best[(kind, name)] = max(best.get((kind, name), 0.0), rate)
    return [
        ("complaint-size (40-60 words), held-out", len(new["complaint"]), best[("complaint", "naive")],
         best[("complaint", "pilah")]),
        (f"news-size (400 words), {news_source}", len(new["news"]), best[("news", "naive")],
         best[("news", "pilah")]),
    ]


def pilah_full(
    model_dir: Path, *, fresh: bool = False
) -> tuple[Callable[[Sequence[str]], object], Callable[[Sequence[str]], object]]:
    """Full analysis and extraction alone; ``fresh`` builds a new extractor (empty caches) too."""
    from pilah.models.analysis import Analyzer, Document
    from pilah.service.jobs import load_analyzer

    analyzer = load_analyzer(model_dir)
    if fresh:
        from pilah.corpus.gazetteer import load_gazetteer
        from pilah.nlp.agencies import AgencyExtractor

        analyzer = Analyzer(analyzer.model, AgencyExtractor(load_gazetteer()))

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


def sastrawi_new_words() -> dict[str, float]:
    """What Sastrawi costs on words the warm-up never saw, and how many of them the affix guard skips.

    Words of the new texts (held-out complaints, real news) absent from the training texts, lowercase
    alphabetic, longer than 3 letters; each stemmed once by Sastrawi's uncached stemmer.
    """
    import re

    from pilah.nlp.stem import affix_guard, sastrawi_stemmer

    word = re.compile(r"[a-z]{4,}")
    train_texts, _ = _training_split()
    seen = {w for t in train_texts for w in word.findall(t.lower())}
    new, _ = _new_texts()
    words = sorted({w for t in new["complaint"] + new["news"] for w in word.findall(t.lower())} - seen)
    stem, guard = sastrawi_stemmer().stem_word, affix_guard()
    stem(words[0])  # the dictionary loads on first use
    t0 = time.perf_counter()
    for w in words:
        stem(w)
    all_s = time.perf_counter() - t0
    passed = [w for w in words if guard.may_change(w)]
    t0 = time.perf_counter()
    for w in passed:
        stem(w)
    passed_s = time.perf_counter() - t0
    return {"words": len(words), "us_per_word": 1e6 * all_s / len(words), "passed": len(passed),
            "us_per_passed": 1e6 * passed_s / max(1, len(passed))}


def import_times(model_dir: Path, runs: int = 3) -> list[tuple[str, float]]:
    """Seconds to start Python and import or load each part, each in a fresh process (median)."""
    out = []
    for label, code in (
        ("python alone", "pass"),
        ("NumPy", "import numpy"),
        ("spaCy (imports NumPy)", "import spacy"),
        ("sector model load (NumPy head, lexicon)",
         f"from pilah.models.persistence import load_model; load_model({str(model_dir)!r})"),
        ("gazetteer + extractor build (imports spaCy)",
         "from pilah.corpus.gazetteer import load_extractor; load_extractor()"),
        ("for comparison, not imported when serving: scikit-learn's estimators",
         "import sklearn.feature_extraction.text, sklearn.svm, sklearn.calibration, sklearn.multiclass"),
        ("for comparison, not imported when serving: skops.io", "import skops.io"),
    ):
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
    conll = idner_dir() / "test.txt"
    if conll.is_file():
        c = evaluate_conll_government(conll, extractor)
        out.append(f"| idner-news-2k test, {c['government_orgs']} government ORG spans | recall (overlap / exact) "
                   f"| | {c['recall_overlap']:.3f} / {c['recall_exact']:.3f} | |")
        out.append(f"| idner-news-2k test, all {c['extracted']} mentions extracted from its {c['sentences']} "
                   f"sentences | precision estimate: share overlapping a gold ORG span | "
                   f"{c['precision_org_overlap']:.3f} | | |")
    else:
        out.append("| idner-news-2k | not found beside the repository | | | |")
    from agreement import DEFAULT, agreement_rows, bare_unit_rows  # bench/agreement.py, beside this file

    out += ["", "### Agreement between annotators", "",
            "A second annotator annotated a random sample of the held-out split blind (from the written convention "
            "in corpus/README.md, without the original annotations or the extractor's output). Command: "
            "`python bench/agreement.py`.", ""]
    out += agreement_rows([DEFAULT])
    out += ["", "Where the writers split most: unit words written without a name after them.", ""]
    out += bare_unit_rows()
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

    new_rows = new_text_rates(model_dir)
    n_train = len(_training_split()[0])
    news_source = _new_texts()[1]
    for name, _n, b, f in new_rows:
        print(f"new texts, {name}: naive {b:,.0f} docs/s, pilah full {f:,.0f} docs/s ({f / b:.2f}x)")
    complaints = _texts("complaint", args.n_complaints)
    news = _texts("news", args.n_news)
    baseline = naive_baseline(*_training_split())
    full, extract = pilah_full(model_dir)
    rows = []
    for name, texts in (("complaint-size (40-60 words)", complaints), ("news-size (~400 words)", news)):
        b = _rate(baseline, texts)
        f = _rate(full, texts)
        e = _rate(extract, texts)
        rows.append((name, len(texts), b, f, e))
        print(f"repeated texts, {name}: naive {b:,.0f} docs/s, pilah full {f:,.0f} docs/s ({f / b:.2f}x), "
              f"extraction {e:,.0f}")
    cold = cold_start(model_dir)
    print(f"cold start {cold:.2f} s")
    stages = stage_rates(model_dir, complaints)
    sastrawi = sastrawi_new_words()
    imports = import_times(model_dir)

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
        "Single process, one core busy.",
        "",
        "## Core pipeline: full analysis vs the naive pipeline",
        "",
        "Naive pipeline: one `StemmerFactory().create_stemmer()` (Sastrawi's cached stemmer), `stemmer.stem(text)`",
        "over each whole document, then `TfidfVectorizer` + `LinearSVC` (sector label only, no agencies), fitted",
        "on the corpus's training split. Pilah full: normalisation, stemming, all sector probabilities,",
        "thresholds, agencies and regions (`pilah analyze`'s batches of 256).",
        "",
        f"**New texts** (what a service meets): both pipelines are warmed up on the {n_train:,} training texts (the",
        "naive one by its fit), then each is timed on one pass over texts it has never seen: the held-out",
        f"complaints of 40-60 words (other writers), and 400-word documents of {news_source}",
        "(sentences joined in order). Fresh pipelines each round, 5 rounds interleaved,",
        "best round of each. New words are where Sastrawi spends its time (measured below).",
        "",
        "| texts | n | naive docs/s | Pilah full docs/s | ratio (target >= 2x) |",
        "|---|---:|---:|---:|---:|",
        *[f"| {name} | {n} | {b:,.0f} | {f:,.0f} | {f / b:.2f}x |" for name, n, b, f in new_rows],
        "",
        "**Repeated texts** (every cache warm, the ceiling): texts drawn with replacement from the corpus",
        "(news-size: ~400-word concatenations of news texts); best of 3 timed passes after a warm-up pass over",
        "the same texts.",
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
        "Where the time goes, complaint-size repeated texts (same run, best of 3 passes after a warm-up):",
        "",
        "| stage | docs/s | us per document |",
        "|---|---:|---:|",
        *[f"| {name} | {rate:,.0f} | {1e6 / rate:,.0f} |" for name, rate in stages],
        "",
        f"Sastrawi on new words (same run): the {sastrawi['words']:,} words of the new texts above that the",
        f"training texts lack take {sastrawi['us_per_word']:,.0f} us each in `stem_word` (no cache); Pilah's affix",
        f"check passes {sastrawi['passed']:,} of them ({sastrawi['passed'] / sastrawi['words']:.0%}) to Sastrawi, at "
        f"{sastrawi['us_per_passed']:,.0f} us each.",
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
