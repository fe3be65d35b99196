from __future__ import annotations

import pickle

import numpy as np
import pytest

from pilah.models.pipeline import TextPreprocessor
from pilah.nlp.features import NORMALIZED, STEMMED, CharNgrams


def test_transform_gives_normalised_and_stemmed_columns(lexicon):
    prep = TextPreprocessor(lexicon=lexicon.to_params())
    out = prep.fit(["x"]).transform(["Sy udh ngurus KTP di Dukcapil", "pembangunan jalan"])
    assert out.shape == (2, 2)
    assert out[0, NORMALIZED] == "saya sudah mengurus ktp di dukcapil"
    assert "bangun" in out[1, STEMMED].split()


def test_preprocessor_is_deterministic_and_survives_pickling(lexicon):
    prep = TextPreprocessor(lexicon=lexicon.to_params())
    texts = ["Anak-anak tidak dapat KIP", "lampu jalan mati bgt"]
    before = prep.transform(texts)
    clone = pickle.loads(pickle.dumps(prep))
    assert "_prep" not in clone.__dict__  # runtime caches are never persisted
    assert np.array_equal(before, clone.transform(texts))


def test_params_hold_only_builtin_types(lexicon):
    params = TextPreprocessor(lexicon=lexicon.to_params()).get_params()

    def builtin(x):
        if isinstance(x, dict):
            return all(isinstance(k, str) and builtin(v) for k, v in x.items())
        if isinstance(x, list):
            return all(builtin(v) for v in x)
        return isinstance(x, str | int | float | bool | type(None))

    assert builtin(params)


@pytest.mark.parametrize("doc", ["jalan rusak parah", "a bb ccc dddd", "", "ktp   el  __num__ x"])
def test_cached_char_ngrams_equal_scikit_learns_char_wb(doc):
    from sklearn.feature_extraction.text import CountVectorizer

    ref = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
    ours = CharNgrams((3, 5))
    assert ours(doc) == ref(doc)
    assert ours(doc) == ref(doc)  # second call from the cache
