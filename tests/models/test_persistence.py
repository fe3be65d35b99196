from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pilah.models.persistence import (
    DATA_FILE,
    HEAD_FILE,
    META_FILE,
    PIPELINE_FILE,
    load_model,
    load_pipeline,
    save_model,
)
from pilah.nlp.errors import ModelError, ModelIncompatibleError, ModelIntegrityError


@pytest.fixture
def model_copy(small_model_dir, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(small_model_dir, dst)
    return dst


def test_round_trip_gives_identical_predictions(small_model_dir, tmp_path):
    model = load_model(small_model_dir, with_pipeline=True)
    save_model(model, tmp_path / "again")
    again = load_model(tmp_path / "again")
    texts = ["ktp belum jadi", "obat habis"]
    assert (model.predict_proba(texts) == again.predict_proba(texts)).all()
    meta = json.loads((tmp_path / "again" / META_FILE).read_text())
    assert {"labels", "thresholds", "data_hash", "seed", "versions", "metrics", "files"} <= meta.keys()


def test_missing_model_says_how_to_build_one(tmp_path):
    with pytest.raises(ModelError, match="pilah train"):
        load_model(tmp_path / "nothing")


@pytest.mark.parametrize("name", [PIPELINE_FILE, HEAD_FILE, "pipeline_data.json"])
def test_tampered_file_is_refused(model_copy, name):
    with (model_copy / name).open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelIntegrityError, match="checksum"):
        load_model(model_copy)
    with pytest.raises(ModelIntegrityError, match="checksum"):
        load_pipeline(model_copy)


def test_saving_needs_the_fitted_pipeline(small_model_dir, tmp_path):
    with pytest.raises(ValueError, match="pipeline"):
        save_model(load_model(small_model_dir), tmp_path / "m")


def test_model_with_foreign_types_in_its_pipeline_is_refused(model_copy):
    import hashlib
    from fractions import Fraction

    import skops.io as sio

    sio.dump({"foreign": Fraction(1, 3)}, model_copy / PIPELINE_FILE)
    meta_path = model_copy / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["files"][PIPELINE_FILE] = hashlib.sha256((model_copy / PIPELINE_FILE).read_bytes()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelIntegrityError, match="does not trust"):
        load_pipeline(model_copy)


def test_model_from_another_scikit_learn_is_refused(model_copy):
    meta_path = model_copy / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelIncompatibleError, match=r"scikit-learn==0\.24\.2"):
        load_model(model_copy)


def test_save_replaces_an_existing_model_atomically(small_model_dir, tmp_path):
    model = load_model(small_model_dir, with_pipeline=True)
    out = tmp_path / "m"
    save_model(model, out)
    save_model(model, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    load_model(out)


def _edit_meta(model_dir, edit):
    path = model_dir / META_FILE
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: [m],
        lambda m: {k: v for k, v in m.items() if k != "labels"},
        lambda m: {k: v for k, v in m.items() if k != "thresholds"},
        lambda m: {**m, "abstain_threshold": None},
        lambda m: {**m, "files": list(m["files"])},
    ],
    ids=["not-an-object", "no-labels", "no-thresholds", "null-abstain-threshold", "files-as-list"],
)
def test_a_damaged_meta_json_is_an_integrity_error(model_copy, edit):
    # meta.json holds the checksums, so nothing checks it before it is read: its damage must not crash.
    _edit_meta(model_copy, edit)
    with pytest.raises(ModelIntegrityError):
        load_model(model_copy)


def test_meta_json_that_is_not_utf8_is_an_integrity_error(model_copy):
    (model_copy / META_FILE).write_bytes(b"\xff\xfe{")
    with pytest.raises(ModelIntegrityError, match="unreadable"):
        load_model(model_copy)


def _rewrite(model_dir, name, content: bytes):
    import hashlib

    (model_dir / name).write_bytes(content)
    _edit_meta(model_dir, lambda m: {**m, "files": {**m["files"], name: hashlib.sha256(content).hexdigest()}})


def _npz(model_dir, **changes):
    import io

    import numpy as np

    with np.load(model_dir / HEAD_FILE) as arrays:
        out = {**dict(arrays), **changes}
    buf = io.BytesIO()
    np.savez(buf, **out)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (HEAD_FILE, lambda d: (d / HEAD_FILE).read_bytes()[:1000]),
        (HEAD_FILE, lambda d: b""),
        (HEAD_FILE, lambda d: _npz(d, intercepts=np.zeros(2))),
        (HEAD_FILE, lambda d: _npz(d, char_ngram_range=np.array([3]))),
        (DATA_FILE, lambda d: b"[1, 2]"),
        (DATA_FILE, lambda d: json.dumps({"vocabulary": None, "lexicon": {}}).encode()),
    ],
    ids=["truncated-head", "empty-head", "intercepts-for-2-of-3-labels", "short-ngram-range", "data-not-object",
         "null-vocabulary"],
)
def test_a_malformed_head_or_data_file_with_its_checksum_is_an_integrity_error(model_copy, name, content):
    _rewrite(model_copy, name, content(model_copy))
    with pytest.raises(ModelIntegrityError):
        load_model(model_copy)


def test_a_pipeline_naming_a_class_this_pilah_lacks_is_incompatible(model_copy, monkeypatch):
    import pilah.models.pipeline

    monkeypatch.delattr(pilah.models.pipeline, "TextPreprocessor")
    with pytest.raises(ModelIncompatibleError, match="pilah train"):
        load_pipeline(model_copy)
