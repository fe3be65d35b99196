"""The ``pilah`` command line. Commands only parse arguments and call plain functions in ``pilah.service.jobs``.

Errors derived from :class:`~pilah.nlp.PilahError` are printed as one line on standard error and mapped to
their ``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pilah.nlp.errors import InputError, PilahError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pilah",
    help="Indonesian complaint and news text mining: sectors, agencies, regions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Check the labelled corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model", "-m", metavar="DIR", help="Model directory (default: $PILAH_MODEL_DIR or the built-in default)."
    ),
]


def _fail(exc: PilahError) -> None:
    for message in getattr(exc, "problems", None) or [exc.message]:  # SettingsError: one line per variable
        typer.echo(f"error [{exc.code}]: {message}", err=True)
    raise typer.Exit(exc.exit_code)


@app.command()
def analyze(
    file: Annotated[
        Path | None, typer.Argument(metavar="FILE", help="JSON Lines input (default: standard input).")
    ] = None,
    model: ModelOpt = None,
    explain: Annotated[bool, typer.Option(metavar="", help="Add the terms that pushed the top sector most.")] = False,
    max_chars: Annotated[
        int, typer.Option(metavar="N", help="Refuse texts (with title) longer than N characters.")
    ] = 1_000_000,
    batch_size: Annotated[int, typer.Option(metavar="N", help="Documents analysed together.")] = 256,
) -> None:
    """Analyse JSON Lines: one JSON result per input line, in order.

    Each line is an object with "text" (required) and "id", "title", "region" (optional; region is the
    complaint desk's region, a Kemendagri code or an official name).
    """
    from pilah.service.jobs import analyze_stream

    for option, value in (("--max-chars", max_chars), ("--batch-size", batch_size)):
        if value < 1:
            _fail(InputError(f"{option} must be at least 1, not {value}; leave it out for the default.",
                             code="invalid_option"))
    try:
        src = sys.stdin if file is None else file.open(encoding="utf-8", errors="surrogateescape")
        try:
            analyze_stream(
                src, sys.stdout, model_dir=model, explain=explain, max_chars=max_chars, batch_size=batch_size,
            )
        finally:
            if file is not None:
                src.close()
    except OSError as exc:
        _fail(PilahError(f"Cannot read {file}: {exc.strerror}.", code="io_error"))
    except PilahError as exc:
        _fail(exc)


@app.command()
def train(
    data: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Labelled CSV/TSV/JSONL files (default: the shipped corpus)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Model directory to write.")
    ] = Path("models/custom"),
    text_field: Annotated[str, typer.Option(metavar="COLUMN", help="Column holding the text.")] = "text",
    label_field: Annotated[str, typer.Option(metavar="COLUMN", help="Column holding the label(s).")] = "sectors",
    id_field: Annotated[str, typer.Option(metavar="COLUMN", help="Column holding a unique id (optional).")] = "id",
    label_sep: Annotated[str, typer.Option(metavar="SEP", help="Separator of several labels in one cell.")] = "|",
    taxonomy: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Taxonomy YAML (default: the shipped one).")
    ] = None,
    test: Annotated[
        list[Path] | None,
        typer.Option("--test", metavar="FILE", help="Held-out labelled file to score the model on (repeatable)."),
    ] = None,
    test_size: Annotated[
        float,
        typer.Option(metavar="SHARE", help="With your files and no --test: stratified share held out for testing."),
    ] = 0.15,
    with_corpus: Annotated[
        bool, typer.Option(metavar="", help="Add the shipped corpus's training texts to your files.")
    ] = False,
    feedback: Annotated[
        Path | None, typer.Option(metavar="FILE", help="SQLite feedback database of the service: fold corrections in.")
    ] = None,
    skip_invalid: Annotated[bool, typer.Option(metavar="", help="Leave out invalid rows instead of stopping.")] = False,
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed (same data + seed = same model).")] = 13,
    folds: Annotated[int, typer.Option(metavar="N", help="Cross-validation folds.")] = 5,
    name: Annotated[str, typer.Option(metavar="NAME", help="Model name recorded in meta.json.")] = "pilah-sectors",
) -> None:
    """Train a sector model with cross-validation; writes the model directory and MODEL_CARD.md."""
    from pilah.service.jobs import train_job

    try:
        train_job(
            data=data or [], out=out, text_field=text_field, label_field=label_field, id_field=id_field,
            label_sep=label_sep, taxonomy_path=taxonomy, test=test or [], test_size=test_size,
            with_corpus=with_corpus, feedback=feedback, skip_invalid=skip_invalid, seed=seed, folds=folds, name=name,
            log=lambda m: typer.echo(m, err=True),
        )
    except PilahError as exc:
        _fail(exc)


@app.command()
def evaluate(
    data: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Labelled files (default: the corpus's held-out test split)."),
    ] = None,
    model: ModelOpt = None,
    text_field: Annotated[str, typer.Option(metavar="COLUMN", help="Column holding the text.")] = "text",
    label_field: Annotated[str, typer.Option(metavar="COLUMN", help="Column holding the label(s).")] = "sectors",
    label_sep: Annotated[str, typer.Option(metavar="SEP", help="Separator of several labels in one cell.")] = "|",
    skip_invalid: Annotated[bool, typer.Option(metavar="", help="Leave out invalid rows instead of stopping.")] = False,
) -> None:
    """Score a model on labelled data and print the same report as the model card."""
    from pilah.service.jobs import evaluate_job

    try:
        typer.echo(
            evaluate_job(
                data=data or [], model_dir=model, text_field=text_field, label_field=label_field,
                label_sep=label_sep, skip_invalid=skip_invalid,
            )
        )
    except PilahError as exc:
        _fail(exc)


@app.command("evaluate-agencies")
def evaluate_agencies(
    data: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Annotated JSONL (default: the corpus's held-out test split)."),
    ] = None,
    conll: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Optional: also measure recall of government ORG spans in this CoNLL NER "
                     "file (idner-news-2k's test.txt; see README)."),
    ] = None,
    show: Annotated[int, typer.Option(metavar="N", help="How many misses and false hits to list.")] = 30,
) -> None:
    """Score agency extraction: exact-span and canonical-name precision/recall/F1, misses, false hits."""
    from pilah.service.jobs import evaluate_agencies_job

    try:
        typer.echo(evaluate_agencies_job(data=data or [], conll=conll, show=show))
    except PilahError as exc:
        _fail(exc)


@app.command()
def batch(
    inputs: Annotated[
        list[str], typer.Argument(metavar="INPUT", help="JSONL/CSV/TSV/Parquet files (.gz too), folders or globs.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder for Parquet shards.")],
    model: ModelOpt = None,
    id_col: Annotated[str, typer.Option(metavar="COLUMN", help="Column with the document id.")] = "id",
    text_col: Annotated[str, typer.Option(metavar="COLUMN", help="Column with the text.")] = "text",
    title_col: Annotated[str, typer.Option(metavar="COLUMN", help="Column with the headline.")] = "title",
    date_col: Annotated[str, typer.Option(metavar="COLUMN", help="Column with the date.")] = "date",
    workers: Annotated[int | None, typer.Option(metavar="N", help="Worker processes (default: all cores).")] = None,
    engine: Annotated[str, typer.Option(metavar="ENGINE", help="local or dask.")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS",
                     help="Dask scheduler address (default: $PILAH_DASK_SCHEDULER or a LocalCluster)."),
    ] = None,
    rows_per_shard: Annotated[int, typer.Option(metavar="N", help="Rows per output shard.")] = 5000,
    resume: Annotated[bool, typer.Option(metavar="", help="Continue a killed run: skip finished shards.")] = False,
    max_chars: Annotated[int, typer.Option(metavar="N", help="Longer texts go to the errors file.")] = 1_000_000,
    text: Annotated[bool, typer.Option("--text/--no-text", metavar="", help="Keep the text in the output.")] = True,
    jsonl: Annotated[bool, typer.Option(metavar="", help="Also write JSONL shards.")] = False,
    quiet: Annotated[bool, typer.Option(metavar="", help="No progress bar.")] = False,
) -> None:
    """Analyse archives into Parquet shards; resumable; local processes or Dask."""
    from pilah.service.batch import BatchOptions, run_batch
    from pilah.service.jobs import default_model_dir

    opts = BatchOptions(
        out_dir=str(out), model_dir=str(model or default_model_dir()), id_col=id_col, text_col=text_col,
        title_col=title_col, date_col=date_col, max_chars=max_chars, keep_text=text, jsonl=jsonl,
    )
    try:
        run_batch(inputs, opts, workers=workers, engine=engine, scheduler=scheduler,
                  rows_per_shard=rows_per_shard, resume=resume, quiet=quiet,
                  log=lambda m: typer.echo(m, err=True))
    except PilahError as exc:
        _fail(exc)


@app.command()
def report(
    batch_dir: Annotated[Path, typer.Argument(metavar="DIR", help="Output folder of `pilah batch`.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for index.html, charts and CSV.")
    ] = Path("report"),
    top: Annotated[int, typer.Option(metavar="N", help="How many agencies in the top lists.")] = 15,
    samples: Annotated[int, typer.Option(metavar="N", help="Sample documents per sector.")] = 3,
) -> None:
    """Static HTML report (charts, tables, samples) and CSV aggregates of a batch run."""
    from pilah.service.report import build_report

    try:
        index = build_report(batch_dir=batch_dir, out_dir=out, top=top, samples=samples)
    except PilahError as exc:
        _fail(exc)
        return
    typer.echo(str(index))


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(metavar="HOST", help="Interface (default: PILAH_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(metavar="PORT", help="Port (default: PILAH_PORT or 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="Worker processes (default: PILAH_WORKERS or 1).")
    ] = None,
    model: ModelOpt = None,
) -> None:
    """Start the HTTP service (FastAPI under uvicorn)."""
    from pilah.service.jobs import serve_job

    try:
        serve_job(host=host, port=port, workers=workers, model_dir=model)
    except PilahError as exc:
        _fail(exc)


@corpus_app.command("check")
def corpus_check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Corpus JSONL files (default: the shipped ones)."),
    ]
    = None,
    strict: Annotated[bool, typer.Option(metavar="", help="Also fail when the shipped corpus's targets are not met.")]
    = False,
) -> None:
    """Validate schema, offsets, labels, duplicates and split; print statistics."""
    from pilah.corpus.check import check_corpus

    try:
        report = check_corpus(files or None, targets=strict)
    except PilahError as exc:
        _fail(exc)
        return
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(3)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
