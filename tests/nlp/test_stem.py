from __future__ import annotations

import pytest

from pilah.nlp.features import Preprocessor
from pilah.nlp.stem import Stemmer


@pytest.fixture(scope="module")
def stemmer(lexicon):
    return Stemmer(lexicon)


@pytest.mark.parametrize(
    "name",
    ["bekasi", "sengeti", "muaro", "jambi", "sarolangun", "batanghari", "kependudukan", "pencatatan",
     "kementerian", "pemerintah", "perlindungan"],
)
def test_place_and_agency_words_are_not_stemmed(stemmer, name):
    assert stemmer.stem(name) == name


@pytest.mark.parametrize(
    ("word", "stem"),
    [("perbankan", "bank"), ("relawan", "relawan"), ("berikan", "beri"), ("dikurangi", "kurang"),
     ("dibelinya", "beli"), ("perbaikan", "perbaiki"), ("diperbaiki", "perbaiki")],
)
def test_known_wrong_sastrawi_stems_are_overridden(stemmer, word, stem):
    assert stemmer.stem(word) == stem


@pytest.mark.parametrize(
    ("word", "stem"),
    [("pelayanan", "layan"), ("pengaduan", "adu"), ("pembangunan", "bangun"), ("menyelesaikan", "selesai")],
)
def test_ordinary_words_are_stemmed_by_sastrawi(stemmer, word, stem):
    assert stemmer.stem(word) == stem


def test_protected_flag_and_placeholders_skip_stemming(stemmer):
    assert stemmer.stem("pembangunan", protected=True) == "pembangunan"
    assert stemmer.stem("__phone__") == "__phone__"


def test_stems_are_cached_per_token(stemmer):
    first = stemmer.stem("menyelesaikan")
    assert stemmer._cache["menyelesaikan"] == first


def test_capitalised_place_inside_sentence_keeps_its_form(lexicon):
    prep = Preprocessor(lexicon.to_params())
    _, stems = prep.prepare("Banjir melanda Sengeti dan Bekasi, warga mengungsi")
    assert "sengeti" in stems.split() and "bekasi" in stems.split()
    assert "ungsi" in stems.split()  # ordinary verb still stemmed
