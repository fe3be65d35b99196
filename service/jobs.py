"""Plain functions behind the CLI commands (keyword-only parameters, no argument parsing)."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pilah.nlp.errors import DataError, InputError, PilahError

__all__ = ["analyze_stream", "default_model_dir", "evaluate_job", "load_analyzer", "train_job"]

MODEL_ENV = "PILAH_MODEL_DIR"


def default_model_dir() -> Path:
    """``$PILAH_MODEL_DIR``, else ``models/default`` inside the installed ``pilah.models`` package."""
    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    import pilah.models

    return Path(pilah.models.__file__).parent / "default"


def load_analyzer(model_dir: Path | None = None) -> Any:
    from pilah.models.analysis import Analyzer
    from pilah.models.persistence import load_model

    model = load_model(model_dir or default_model_dir())
    return Analyzer(model, extractor=_load_extractor())


def _load_extractor() -> Any:
    from pilah.corpus.gazetteer import load_extractor

    return load_extractor()


def _lines(src: IO[Any]) -> Iterable[bytes]:
    buf = getattr(src, "buffer", None)
    if buf is not None:
        yield from buf
        return
    for line in src:
        yield line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")


def analyze_stream(
    src: IO[Any],
    dst: IO[str],
    *,
    model_dir: Path | None = None,
    explain: bool = False,
    max_chars: int = 1_000_000,
    batch_size: int = 256,
) -> int:
    """Answer every input line with one JSON line, in order; bad lines get an ``error`` object.

    Returns the number of lines answered.
    """
    from pilah.models.analysis import Document, error_result

    analyzer = load_analyzer(model_dir)
    answered = 0
    pending: list[tuple[Any, Document | InputError]] = []

    def flush() -> None:
        nonlocal answered
        docs = [d for _, d in pending if isinstance(d, Document)]
        results = iter(analyzer.analyze(docs, explain=explain))
        for doc_id, item in pending:
            res = error_result(doc_id, item) if isinstance(item, InputError) else next(results)
            dst.write(json.dumps(res, ensure_ascii=False, allow_nan=False) + "\n")
        dst.flush()
        answered += len(pending)
        pending.clear()

    for n, raw in enumerate(_lines(src), 1):
        pending.append(_parse_line(raw, max_chars=max_chars, parse=analyzer.parse, line_no=n))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return answered


def _parse_line(
    raw: bytes, *, max_chars: int, parse: Callable[..., Any], line_no: int | None = None
) -> tuple[Any, Any]:
    from pilah.corpus.jsonl import decode_json_line
    from pilah.models.analysis import valid_id

    obj, error = decode_json_line(raw, line_no)
    if error is not None:
        return None, InputError(error[1], code=error[0])
    doc_id = obj.get("id") if isinstance(obj, dict) else None
    if not valid_id(doc_id):
        doc_id = None
    try:
        return doc_id, parse(obj, max_chars=max_chars)
    except InputError as exc:
        return doc_id, exc


# What each command can suggest in its messages: only options it has.
TRAIN_HINTS = {"text_field": "--text-field", "label_field": "--label-field",
               "unknown_label": "or pass your own label set with --taxonomy"}
EVALUATE_HINTS = {"text_field": "--text-field", "label_field": "--label-field",
                  "unknown_label": "(the labels of the model; to score other labels, pass a model trained on them "
                                   "with --model)"}


def _read_user_data(
    paths: Sequence[Path], *, taxonomy: Any, skip_invalid: bool, what: str = "The training data",
    hints: dict[str, str] | None = None, **fields: Any,
) -> list[Any]:
    from pilah.corpus.records import raise_on_problems, read_labelled

    examples: list[Any] = []
    problems: list[Any] = []
    for p in paths:
        ex, pr = read_labelled(p, taxonomy=taxonomy, hints=TRAIN_HINTS if hints is None else hints, **fields)
        examples.extend(ex)
        problems.extend(pr)
    if problems and not skip_invalid:
        raise_on_problems(problems, what=what)
    return examples


def train_job(
    *,
    data: Sequence[Path],
    out: Path,
    text_field: str = "text",
    label_field: str = "sectors",
    id_field: str = "id",
    label_sep: str = "|",
    taxonomy_path: Path | None = None,
    test: Sequence[Path] = (),
    test_size: float = 0.15,
    with_corpus: bool = False,
    feedback: Path | None = None,
    skip_invalid: bool = False,
    seed: int = 13,
    folds: int = 5,
    name: str = "pilah-sectors",
    log: Callable[[str], None] | None = None,
) -> Path:
    """Train on the shipped corpus (default) or on users' files; write the model directory."""
    from pilah.corpus.records import read_corpus, split_ids
    from pilah.corpus.taxonomy import load_taxonomy
    from pilah.models.persistence import save_model
    from pilah.models.train import train_model

    taxonomy = load_taxonomy(taxonomy_path)
    fields: dict[str, Any] = {
        "text_field": text_field, "label_field": label_field, "id_field": id_field, "label_sep": label_sep
    }
    sources: list[str] = []
    train_set: list[Any] = []
    test_set: list[Any] = []
    if not data or with_corpus:
        corpus = read_corpus()
        held = split_ids()
        train_set += [ex for ex in corpus if ex.id not in held]
        test_set += [ex for ex in corpus if ex.id in held]
        sources.append("pilah corpus")
    if data:
        user = _read_user_data(data, taxonomy=taxonomy, skip_invalid=skip_invalid, **fields)
        sources += [str(p) for p in data]
        if test:
            train_set += user
        else:
            tr, te = _stratified_split(user, taxonomy.abstain, test_size, seed)
            train_set += tr
            test_set += te
    if test:
        test_set += _read_user_data(test, taxonomy=taxonomy, skip_invalid=skip_invalid, what="The --test data",
                                    **fields)
    if feedback is not None:
        from pilah.service.feedback import read_feedback_examples

        corrections = read_feedback_examples(feedback, taxonomy.abstain)
        unknown = sorted({lab for ex in corrections for lab in ex.labels} - taxonomy.labels)
        if unknown:
            raise DataError(f"Feedback uses labels {unknown} that the taxonomy does not have.")
        # A correction replaces the text it corrects wherever it sits; it never enters the test split.
        # Matched as the duplicate check below matches (case and spacing aside), so that it never drops a correction.
        fixed = {_text_key(ex.text) for ex in corrections}
        train_set = [ex for ex in train_set if _text_key(ex.text) not in fixed] + corrections
        test_set = [ex for ex in test_set if _text_key(ex.text) not in fixed]
        sources.append(f"{len(corrections)} corrections from {feedback}")
    train_set, repeated = drop_test_duplicates(train_set, test_set)
    if repeated:
        # A text on both sides would score the model on what it was trained on: the held-out text stays.
        note = f"{repeated} training texts left out: they repeat held-out texts"
        sources.append(note)
        if log:
            log(f"{note} (same words, ignoring case and spacing)")
    if not train_set:
        raise DataError("No training texts; give labelled files or train on the shipped corpus.")
    result = train_model(
        train_set, test_set, taxonomy=taxonomy, seed=seed, folds=folds, name=name, sources=sources, log=log
    )
    path = save_model(result.model, out, card=result.card)
    if log:
        cv = result.cv_metrics
        log(f"cross-validated macro-F1 {cv['macro_f1']:.3f}, accuracy {cv['accuracy']:.3f}")
        if result.test_metrics:
            tm = result.test_metrics
            log(f"held-out macro-F1 {tm['macro_f1']:.3f}, accuracy {tm['accuracy']:.3f} (n={tm['n']})")
        log(f"model written to {path}")
    return path


def _text_key(text: str) -> str:
    return " ".join(text.casefold().split())


def drop_test_duplicates(train: Sequence[Any], test: Sequence[Any]) -> tuple[list[Any], int]:
    """Training examples whose text (ignoring case and spacing) is also a held-out text are left out: users'
    files, feedback and the shipped corpus may share texts, and a held-out score over texts the model was
    trained on says nothing about new ones."""
    held = {_text_key(ex.text) for ex in test}
    kept = [ex for ex in train if _text_key(ex.text) not in held]
    return kept, len(train) - len(kept)


def _stratified_split(
    examples: Sequence[Any], abstain: str, test_size: float, seed: int
) -> tuple[list[Any], list[Any]]:
    from collections import Counter

    from sklearn.model_selection import train_test_split

    if test_size <= 0:
        return list(examples), []
    if test_size >= 1:
        raise DataError(f"--test-size {test_size} leaves nothing to train on; give a share below 1, e.g. 0.15.",
                        code="invalid_option")
    if len(examples) < 2:
        raise DataError("Too few valid rows to hold some out for testing; add rows, or give --test-size 0.",
                        code="invalid_data")
    primary = [ex.labels[0] for ex in examples]
    counts = Counter(primary)
    n_test = math.ceil(test_size * len(examples))
    # Stratifying needs two texts per label and room for every label on both sides; otherwise scikit-learn
    # raises a ValueError. A plain shuffle is fine then: training checks the counts per sector itself.
    possible = min(counts.values()) >= 2 and len(counts) <= min(n_test, len(examples) - n_test)
    strat = primary if possible else None
    tr, te = train_test_split(list(examples), test_size=test_size, random_state=seed, stratify=strat)
    return tr, te


def evaluate_job(
    *,
    data: Sequence[Path],
    model_dir: Path | None,
    text_field: str = "text",
    label_field: str = "sectors",
    label_sep: str = "|",
    skip_invalid: bool = False,
) -> str:
    from pilah.corpus.records import read_corpus, split_ids
    from pilah.corpus.taxonomy import Taxonomy, load_taxonomy
    from pilah.models.metrics import evaluate_decisions, format_report, label_decisions
    from pilah.models.persistence import load_model

    model = load_model(model_dir or default_model_dir())
    tax_dict = model.meta.get("taxonomy")
    taxonomy: Taxonomy = load_taxonomy() if tax_dict is None else Taxonomy.from_dict(tax_dict)
    if data:
        examples = _read_user_data(
            data, taxonomy=taxonomy, skip_invalid=skip_invalid, what="The evaluation data", hints=EVALUATE_HINTS,
            text_field=text_field, label_field=label_field, id_field="id", label_sep=label_sep,
        )
        what = ", ".join(str(p) for p in data)
    else:
        held = split_ids()
        examples = [ex for ex in read_corpus() if ex.id in held]
        what = "the corpus's held-out test split"
    if not examples:
        raise DataError("Nothing to evaluate: the data holds no valid labelled rows.")
    proba = model.predict_proba([ex.full_text for ex in examples])
    primary, sets = label_decisions(
        proba, model.labels, model.thresholds, model.abstain_threshold, model.abstain_label
    )
    metrics = evaluate_decisions([list(ex.labels) for ex in examples], primary, sets, model.labels,
                                 model.abstain_label)
    return format_report(metrics, f"{model.name} {model.version} on {what}")


def serve_job(
    *, host: str | None = None, port: int | None = None, workers: int | None = None, model_dir: Path | None = None
) -> None:
    """Run the service under uvicorn; settings come from ``PILAH_*`` variables, arguments override them."""
    import uvicorn

    from pilah.models.persistence import load_model

    if host is not None:
        os.environ["PILAH_HOST"] = host
    if port is not None:
        os.environ["PILAH_PORT"] = str(port)
    if workers is not None:
        os.environ["PILAH_WORKERS"] = str(workers)
    if model_dir is not None:
        os.environ["PILAH_MODEL_DIR"] = str(model_dir)
    from pilah.service.settings import load_settings

    settings = load_settings()  # a bad PILAH_* variable: SettingsError, without the value
    load_model(settings.model_dir)  # fail here, with the model error, rather than inside a worker
    with _run_dir(settings) as run_dir:
        if run_dir is not None:
            from pilah.service.state import ReloadBoard

            ReloadBoard(run_dir).reset(settings.model_dir)
        print(f"Pilah page: http://{settings.host}:{settings.port}/   "
              f"API docs: http://{settings.host}:{settings.port}/docs", flush=True)
        uvicorn.run(
            "pilah.service.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="warning",
            access_log=False,  # RequestGuard writes the access log (JSON); uvicorn's would format one per request
            timeout_graceful_shutdown=settings.graceful_timeout,
            timeout_keep_alive=settings.keep_alive,
        )


@contextmanager
def _run_dir(settings: Any) -> Iterator[Path | None]:
    """The directory where the workers share reloads: ``PILAH_RUN_DIR``, else (several workers) a fresh one,
    removed at exit. One worker needs none: the process that answers a reload is the one serving."""
    if settings.run_dir is not None or settings.workers == 1:
        yield settings.run_dir
        return
    run_dir = Path(tempfile.mkdtemp(prefix="pilah-run-"))
    os.environ["PILAH_RUN_DIR"] = str(run_dir)  # the workers build their settings from the environment
    try:
        yield run_dir
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def evaluate_agencies_job(*, data: Sequence[Path], conll: Path | None = None, show: int = 30) -> str:
    from pilah.corpus.gazetteer import load_extractor
    from pilah.corpus.records import raise_on_problems, read_corpus, read_labelled, split_ids
    from pilah.models.agency_eval import (
        evaluate_annotated,
        evaluate_conll_government,
        format_agency_report,
        read_conll_sentences,
        require_government_orgs,
    )

    # Check the CoNLL file before the slow part, so that a wrong path fails in a second, not after the scoring.
    sentences = None
    if conll:
        try:
            sentences = read_conll_sentences(conll)
        except PilahError as exc:
            if exc.code != "io_error":
                raise
            raise PilahError(
                f"{exc.message} --conll is optional; the idner-news-2k test file it is meant for is kept outside "
                "the repository (see README.md, `pilah evaluate-agencies`).", code="io_error",
            ) from exc
        require_government_orgs(sentences, source=conll)
    extractor = load_extractor()
    if data:
        examples: list[Any] = []
        problems: list[Any] = []
        for p in data:
            ex, pr = read_labelled(p)
            examples += ex
            problems += pr
        raise_on_problems(problems, what="The annotated data", skip_option=None)
    else:
        held = split_ids()
        examples = [ex for ex in read_corpus() if ex.id in held]
    annotated = evaluate_annotated(examples, extractor)
    conll_result = evaluate_conll_government(conll, extractor, sentences=sentences) if conll else None
    return format_agency_report(annotated, conll_result, show=show)
