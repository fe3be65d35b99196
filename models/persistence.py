"""A trained model is a directory: ``head.npz`` + ``pipeline_data.json`` + ``pipeline.skops`` + ``meta.json``
+ ``MODEL_CARD.md``.

Serving loads the inference form (:class:`~pilah.nlp.linear.LinearHead`): NumPy arrays in ``head.npz``
(loaded with ``allow_pickle=False``) and the vocabularies and lexicon as JSON. Neither format can execute code,
and neither needs scikit-learn, which keeps a cold start within its budget. The fitted scikit-learn pipeline
is kept too, in skops format (which also does not execute code on load: :func:`load_pipeline` accepts only the
object types in :data:`TRUSTED_PREFIXES`), for inspection and as the reference the head is tested against.

Every file's SHA-256 is recorded in ``meta.json`` and checked before loading, and the scikit-learn version the
model was saved with must match the installed one (major.minor): the head's numbers were checked against that
version's pipeline at training time, and the pipeline itself is not guaranteed to survive a version change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from pilah.models.sector_model import SectorModel
from pilah.nlp.errors import ModelError, ModelIncompatibleError, ModelIntegrityError
from pilah.nlp.features import Preprocessor
from pilah.nlp.linear import LinearHead

__all__ = [
    "save_model", "load_model", "load_pipeline", "vocabulary_terms", "FORMAT_VERSION", "PIPELINE_FILE",
    "HEAD_FILE", "DATA_FILE", "META_FILE", "CARD_FILE",
]

FORMAT_VERSION = 2
PIPELINE_FILE = "pipeline.skops"
HEAD_FILE = "head.npz"
DATA_FILE = "pipeline_data.json"
META_FILE = "meta.json"
CARD_FILE = "MODEL_CARD.md"
# Types a Pilah pipeline is made of. Anything else in a model file is refused.
TRUSTED_PREFIXES = (
    "sklearn.", "numpy.", "scipy.sparse.", "pilah.nlp.", "pilah.models.pipeline.", "builtins.", "collections.",
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def vocabulary_terms(vocabulary: dict[str, int]) -> list[str]:
    """A fitted vectoriser's ``vocabulary_`` as the list of its terms in column order."""
    terms = [""] * len(vocabulary)
    for term, idx in vocabulary.items():
        terms[int(idx)] = term
    return terms


def _detach_data(pipeline: Any) -> dict[str, Any]:
    """Take the large plain-data attributes (vocabularies, lexicon) out of the pipeline.

    skops builds one audited node per dict entry; with tens of thousands of vocabulary terms loading took
    seconds. Stored as JSON beside the skops file (also a format that cannot run code) it takes milliseconds.
    """
    data: dict[str, Any] = {"vocabulary": {}, "lexicon": None}
    prep = pipeline.named_steps.get("prep")
    if prep is not None and prep.lexicon is not None:
        data["lexicon"] = prep.lexicon
        prep.lexicon = None
    features = pipeline.named_steps.get("features")
    for name, tr, _ in getattr(features, "transformers_", []):
        vocab = getattr(tr, "vocabulary_", None)
        if isinstance(vocab, dict):
            data["vocabulary"][name] = vocabulary_terms(vocab)
            tr.vocabulary_ = {}
    return data


def _attach_data(pipeline: Any, data: dict[str, Any]) -> None:
    prep = pipeline.named_steps.get("prep")
    if prep is not None and data.get("lexicon") is not None:
        prep.lexicon = data["lexicon"]
    features = pipeline.named_steps.get("features")
    for name, tr, _ in getattr(features, "transformers_", []):
        terms = data.get("vocabulary", {}).get(name)
        if terms is not None:
            tr.vocabulary_ = {term: i for i, term in enumerate(terms)}


def save_model(model: SectorModel, out_dir: str | Path, *, card: str | None = None) -> Path:
    """Write the model directory atomically (a temporary sibling directory renamed into place)."""
    import skops.io as sio

    if model.pipeline is None:
        raise ValueError("save_model needs the fitted scikit-learn pipeline (a model from train_model)")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        data = _detach_data(model.pipeline)
        try:
            sio.dump(model.pipeline, tmp / PIPELINE_FILE)
        finally:
            _attach_data(model.pipeline, data)
        (tmp / DATA_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        head = model.head
        with (tmp / HEAD_FILE).open("wb") as fh:
            np.savez(
                fh, word_idf=head.idf[: head.n_words], char_idf=head.idf[head.n_words :], weights=head.weights,
                intercepts=head.intercepts, sigmoid_a=head.sigmoid_a, sigmoid_b=head.sigmoid_b,
                char_ngram_range=np.array(head.char_ngram_range),
            )
        if card is not None:
            (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        meta = dict(model.meta)
        meta.update(
            format_version=FORMAT_VERSION,
            labels=model.labels,
            thresholds=model.thresholds,
            abstain_threshold=model.abstain_threshold,
            abstain_label=model.abstain_label,
            files={p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()},
        )
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if out.exists():
            backup = out.with_name(f".{out.name}.old")
            if backup.exists():
                shutil.rmtree(backup)
            os.replace(out, backup)
            os.replace(tmp, out)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_meta(model_dir: str | Path) -> dict[str, Any]:
    path = Path(model_dir) / META_FILE
    if not path.is_file():
        raise ModelError(
            f"No model at {model_dir} ({META_FILE} is missing). Build one with `pilah train --out {model_dir}` "
            "or `make model`."
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: also bytes that are not UTF-8
        raise ModelIntegrityError(f"{path} is unreadable ({exc}); retrain the model with `pilah train`.") from exc
    if not isinstance(meta, dict):
        raise ModelIntegrityError(f"{path} is not a JSON object; retrain the model with `pilah train`.")
    return meta


def _installed(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def check_compatible(meta: dict[str, Any]) -> None:
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelIncompatibleError(
            f"Model format {meta.get('format_version')} is not supported by this Pilah (format {FORMAT_VERSION}); "
            "retrain it with `pilah train`."
        )
    versions = meta.get("versions")
    saved = str(versions.get("scikit-learn", "")) if isinstance(versions, dict) else ""
    here = _installed("scikit-learn")  # the version, without importing scikit-learn (a second of start-up)
    if saved.split(".")[:2] != here.split(".")[:2]:
        raise ModelIncompatibleError(
            f"The model was saved with scikit-learn {saved or 'unknown'} but {here} is installed. "
            f"Retrain it with `pilah train`, or install scikit-learn=={saved} to use it as it is."
        )


def _verified(model_dir: Path) -> dict[str, Any]:
    """meta.json of a model directory whose files all match their recorded checksums."""
    meta = read_meta(model_dir)
    check_compatible(meta)
    files = meta.get("files")
    if not isinstance(files, dict):
        raise ModelIntegrityError(f"{model_dir}/{META_FILE} records no file checksums; retrain.")
    for required in (HEAD_FILE, DATA_FILE, PIPELINE_FILE):
        if required not in files:
            raise ModelIntegrityError(f"{model_dir}/{META_FILE} records no checksum for {required}; retrain.")
    for name, digest in files.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelIntegrityError(f"{path} is missing; copy the whole model directory or retrain.")
        if _sha256(path) != digest:
            raise ModelIntegrityError(
                f"{path} does not match the checksum recorded in {META_FILE}: the file was changed or "
                "corrupted. Copy the model directory again or retrain it."
            )
    return meta


def _read_data(model_dir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((model_dir / DATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{model_dir / DATA_FILE} is unreadable ({exc}); retrain.") from exc
    vocabulary = data.get("vocabulary") if isinstance(data, dict) else None
    if not isinstance(vocabulary, dict) or not all(
        isinstance(terms, list) and all(isinstance(t, str) for t in terms) for terms in vocabulary.values()
    ):
        raise ModelIntegrityError(f"{model_dir / DATA_FILE} has no vocabularies as lists of terms; retrain.")
    if not isinstance(data.get("lexicon"), dict):
        raise ModelIntegrityError(f"{model_dir / DATA_FILE} has no lexicon; retrain.")
    return data


def _read_head(model_dir: Path, data: dict[str, Any]) -> LinearHead:
    path = model_dir / HEAD_FILE
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return LinearHead(
                word_terms=data["vocabulary"]["words"], char_terms=data["vocabulary"]["chars"],
                word_idf=arrays["word_idf"], char_idf=arrays["char_idf"], weights=arrays["weights"],
                intercepts=arrays["intercepts"], sigmoid_a=arrays["sigmoid_a"], sigmoid_b=arrays["sigmoid_b"],
                char_ngram_range=(int(arrays["char_ngram_range"][0]), int(arrays["char_ngram_range"][1])),
            )
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, IndexError, ValueError, TypeError) as exc:
        raise ModelIntegrityError(f"{path} is not a readable Pilah head ({exc}); retrain.") from exc


def load_model(model_dir: str | Path, *, with_pipeline: bool = False) -> SectorModel:
    """Load and validate a model directory; raises a :class:`ModelError` subclass that says what to do.

    ``with_pipeline`` also loads the scikit-learn pipeline (slow to import; not needed to predict).
    """
    model_dir = Path(model_dir)
    meta = _verified(model_dir)
    data = _read_data(model_dir)
    head = _read_head(model_dir, data)
    try:
        labels = [str(lab) for lab in meta["labels"]]
        thresholds = {str(k): float(v) for k, v in meta["thresholds"].items()}
        abstain_threshold = float(meta["abstain_threshold"])
        abstain_label = str(meta["abstain_label"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelIntegrityError(
            f"{model_dir / META_FILE} lacks valid labels, thresholds or abstain settings ({exc!r}); retrain."
        ) from exc
    if head.n_labels != len(labels):
        raise ModelIntegrityError(
            f"{model_dir / HEAD_FILE} scores {head.n_labels} labels but {META_FILE} lists {len(labels)}; retrain."
        )
    return SectorModel(
        preprocessor=Preprocessor(data["lexicon"]),
        head=head,
        labels=labels,
        thresholds=thresholds,
        abstain_threshold=abstain_threshold,
        abstain_label=abstain_label,
        meta=meta,
        pipeline=_load_pipeline(model_dir, data) if with_pipeline else None,
    )


def load_pipeline(model_dir: str | Path) -> Any:
    """The fitted scikit-learn pipeline of a model directory (skops; only trusted types are loaded)."""
    model_dir = Path(model_dir)
    _verified(model_dir)
    return _load_pipeline(model_dir, _read_data(model_dir))


def _load_pipeline(model_dir: Path, data: dict[str, Any]) -> Any:
    import skops.io as sio

    pipe_path = model_dir / PIPELINE_FILE
    try:
        untrusted = sio.get_untrusted_types(file=pipe_path)
    except Exception as exc:  # skops raises several types for malformed archives
        raise ModelIntegrityError(f"{pipe_path} is not a readable skops file ({exc}); retrain.") from exc
    foreign = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if foreign:
        raise ModelIntegrityError(
            f"{pipe_path} contains types Pilah does not trust: {foreign}. Only load models you trained."
        )
    try:
        pipeline = sio.load(pipe_path, trusted=untrusted)
    except (AttributeError, ImportError) as exc:  # a class this Pilah no longer has
        raise ModelIncompatibleError(
            f"{pipe_path} was saved by another version of Pilah ({exc}); retrain it with `pilah train`."
        ) from exc
    _attach_data(pipeline, data)
    return pipeline
