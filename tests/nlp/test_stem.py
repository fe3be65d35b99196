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


@pytest.mark.parametrize(
    ("word", "stem"),
    [("pembangunan", "bangun"), ("menyapu", "sapu"), ("mengambil", "ambil"), ("dibelinya", "beli"),
     ("kesehatan", "sehat"), ("pelayanannya", "layan"), ("terlambat", "lambat"), ("makanan", "makan"),
     ("sekolahnya", "sekolah"), ("rumahnya", "rumah"), ("hilirisasi", "hilir")],
)
def test_affixed_words_still_reach_sastrawi(stemmer, word, stem):
    assert stemmer.stem(word) == stem


@pytest.mark.parametrize(
    "word", ["goeteng", "harjamukti", "karanggede", "sinabang", "kutim", "kinerja", "lemot", "nangisss"]
)
def test_names_typos_and_infixed_words_are_left_as_they_are(stemmer, word):
    assert stemmer.stem(word) == word


def test_the_affix_guard_only_skips_words_sastrawi_leaves_or_infixed_words():
    """Over the corpus vocabulary, the guard and Sastrawi agree except on infix and ku-/kau- rules."""
    import random
    import re

    from pilah.corpus.records import read_corpus
    from pilah.nlp.stem import AffixGuard, sastrawi_roots, sastrawi_stemmer

    sastrawi = sastrawi_stemmer()
    guard = AffixGuard(sastrawi_roots())
    vocab = sorted({w for ex in read_corpus() for w in re.findall(r"[a-z]{4,}", ex.full_text.lower())})
    sample = random.Random(5).sample(vocab, 2500)
    infixed = re.compile(r"^(?:ku|kau)|^[bcdfghjklmnpqrstvwxyz](?:el|em|er|in)[aiueo]")
    skipped = [w for w in sample if not guard.may_change(w)]
    assert len(skipped) > 500  # the guard does skip work
    differ = [w for w in skipped if sastrawi.stem_word(w) != w]
    assert all(infixed.match(w) for w in differ), differ


def test_the_affix_guard_scan_is_linear_in_the_length_of_a_word():
    """A 1 MB request may hold one very long "word": the guard looks at slices no longer than a root."""
    from pilah.nlp.stem import AffixGuard

    class CountingSet(frozenset):
        lookups = 0

        def __contains__(self, item):
            CountingSet.lookups += 1
            return super().__contains__(item)

    guard = AffixGuard(["sapu", "ambil", "bangun"])
    guard._cores = CountingSet(guard._cores)
    assert guard.may_change("menyapu") and not guard.may_change("mexqxq")
    for n in (1_000, 4_000):
        CountingSet.lookups = 0
        assert not guard.may_change("me" + "xq" * n)
        assert CountingSet.lookups < 100, (n, CountingSet.lookups)
