"""Extraction gives exactly the output of its previous, token-by-token version (``reference_agencies.py``).

Tokenisation now takes faster paths for ASCII text, the words come from a per-token memo, the ``Doc`` is built
from ORTH ids and handles are found from the positions of "@", "#" and "_"; these tests compare ``extract``
(every field, in order) and ``tokenize`` with the reference on every text of the shipped corpus and on text
generated from the pieces extraction cares about.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import load_beside

from pilah.corpus.gazetteer import load_gazetteer
from pilah.nlp import agencies, tokenize

ROOT = Path(__file__).resolve().parents[2]


reference = load_beside(__file__, "reference_agencies.py", "pilah_reference_agencies")


@pytest.fixture(scope="module")
def both():
    gazetteer = load_gazetteer()
    return reference.AgencyExtractor(gazetteer), agencies.AgencyExtractor(gazetteer)


def _same_tokens(text: str) -> None:
    old = reference.tokenize(text)
    expected = (old.text, old.starts, old.ends, old.lower)
    new = tokenize.tokenize(text)
    assert (new.text, new.starts, new.ends, new.lower) == expected, text
    if text.isascii():  # both ASCII paths, whatever the length
        for path in (tokenize._tokenize_ascii_short, tokenize._tokenize_ascii_long):
            got = path(text)
            assert (got.text, got.starts, got.ends, got.lower) == expected, (path.__name__, text)
    assert tokenize.lower_words(text) == reference.lower_words(text), text


def _same(both, text: str, hint: str | None = None) -> None:
    old, new = both[0].extract(text, hint), both[1].extract(text, hint)
    # json.dumps keeps the order of the keys: the dicts must be equal field by field and in the same order
    assert new == old and json.dumps(new) == json.dumps(old), (text, hint)


# Pieces of what extraction looks at: agency words and acronyms from the gazetteer in several cases, level words
# and region names, long words with a one-letter typo, person titles, handles and hashtags, joiners, parentheses
# and full stops; digits; letters whose lowercase changes the length or depends on the neighbours (dotted
# capital I, final sigma), that regular expressions fold onto ASCII (dotless i, long s, Kelvin sign), full-width
# letters, non-ASCII spaces and newlines.
_WORDS = [
    "Dinas", "dinas", "DINAS", "Sosial", "sosial", "Dinsos", "dinsos", "DINSOS", "Dukcapil", "dukcapil",
    "Disdukcapil", "Kependudukan", "Pencatatan", "Sipil", "Kesehatan", "kesehatn", "kependudukn", "Kab", "Kab.",
    "kab", "Kabupaten", "kabupaten", "Kota", "kota", "Provinsi", "Prov.", "Polres", "polres", "Polsek", "Polda",
    "Puskesmas", "puskesmas", "RSUD", "Kemensos", "kemensos", "Kemendagri", "BPJS", "BPN", "ORI", "Ombudsman",
    "RI", "Perwakilan", "Pemkab", "Pemkot", "pemerintah", "Pemerintah", "daerah", "Kecamatan", "kelurahan",
    "kantor", "desa", "Sudin", "Suku", "Muaro", "Jambi", "muaro jambi", "Bekasi", "bekasi", "Jaksel", "Jabar",
    "Sarolangun", "Batanghari", "Cirebon", "Magelang", "Batu", "batu", "Malang", "Kupang", "Bangka Barat",
    "Kenali Besar", "Playen", "Bupati", "Kapolres", "Menteri", "warga", "RW", "seluruh", "sembilan", "di", "dan",
    "ke", "yang", "lapor", "tolong", "Pertanian", "Pangan", "Bina", "Marga", "P2TP2A", "II", "dr", "H",
]
_PIECES = [
    *_WORDS,
    *" \n\t,.()-&@#_:/'\"",
    "@", "#", "@dinsos_manado", "@pemkabpandeglang", "#KemensosRI", "dinsos_", "_kota_", "pemkab_bekasi",
    "KementerianLH", "pemkabpandeglang", "dinsosmanado", "@BKNgoid", "@pln123", "123", "05", "2024", "3x",
    "é", "É", "İ", "ı", "ſ", "\u212a", "Σ", "ß", "ｄｉｎａｓ", "１２", "\u00a0", "\u2028", "—", "“", "🙏",
]
_SEPARATORS = st.sampled_from([" ", " ", " ", "", ", ", ". ", "\n", " (", ") "])


def _typo(word: str, i: int, kind: int, letter: str) -> str:
    i %= len(word)
    return (word[:i] + word[i + 1 :], word[:i] + letter + word[i:], word[:i] + letter + word[i + 1 :])[kind]


_LONG_WORDS = ["kependudukan", "pencatatan", "kesehatan", "perhubungan", "pendidikan", "Kementerian", "Sarolangun",
               "Batanghari", "Puskesmas", "Kabupaten", "Perwakilan", "Ombudsman", "pertanian", "Lingkungan"]
_TYPOS = st.builds(_typo, st.sampled_from(_LONG_WORDS), st.integers(0, 20), st.integers(0, 2),
                   st.sampled_from("aeiounrk"))
_piece = st.one_of(st.sampled_from(_PIECES), _TYPOS)
_texts = st.lists(st.tuples(_piece, _SEPARATORS), max_size=40).map(lambda ps: "".join(p + s for p, s in ps))
_HINTS = st.sampled_from([None, "15.05", "Kabupaten Muaro Jambi", "Kota Bekasi", "Jaksel", "32", "tidak ada"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_texts, _HINTS)
def test_generated_text_extracts_as_the_reference(both, text, hint):
    _same(both, text, hint)
    _same(both, text, hint)  # the second time from the memo
    _same_tokens(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_texts, min_size=4, max_size=12).map(" ".join), _HINTS)
def test_long_generated_text_extracts_as_the_reference(both, text, hint):
    # News-length text: the NumPy tokenising path when it is ASCII.
    _same(both, text, hint)
    _same_tokens(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_tokenises_as_the_reference(text):
    _same_tokens(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=80))
def test_arbitrary_ascii_text_tokenises_as_the_reference(text):
    _same_tokens(text)  # control characters, \x1c-\x1f (whitespace to Python), \x7f


@pytest.mark.parametrize(
    "text",
    [
        "tolong @dinsos_manado cek", "@ pemkabpandeglang jalan rusak", "@@pemkabpandeglang", "#@KementerianLH",
        "a@pemkabpandeglang", "@pemkabpandeglang_", "__dinsos__manado__", "_", "@", "#", "@_pemkab_bekasi",
        "İstanbul @pemkabpandeglang İ", "ｄｉｎｓｏｓ_manado", "Dinas Sosial @ Kota Bekasi #dinsos_bekasi",
        "Dİnas_sosial_kota_bekasi", "@dinsos_manado\n@pemkabpandeglang\t#KemensosRI", "pemkab_bekasi @",
    ],
)
def test_handles_extract_as_the_reference(both, text):
    _same(both, text)
    _same(both, text * 30)  # news length: the NumPy tokenising path
    _same_tokens(text)


@pytest.mark.parametrize("size", [0, 12])
def test_word_memo_when_full_gives_the_same_words(both, monkeypatch, size):
    monkeypatch.setattr(agencies, "_MAX_MEMO", size)
    fresh = agencies.AgencyExtractor(load_gazetteer())
    texts = ["dinas kependudukn kabupaten sarolangun lambat", "Sudin Sosial Jaksel", "@dinsos_manado tolong",
             "Dinas Kesehatn Kota Jambi dan Dinsos di Kab. Bogor, lapor ke Polres Jaksel"]
    for text in texts + texts:
        _same((both[0], fresh), text)
    assert 0 < len(fresh._word_memo) <= size if size else fresh._word_memo == {}


def test_every_corpus_text_extracts_as_the_reference(both):
    records = []
    for path in sorted((ROOT / "corpus" / "data").glob("**/*.jsonl")):
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len(records) > 3000
    for record in records:
        _same(both, record["text"], record.get("region"))
        _same_tokens(record["text"])
    # News-length ASCII text from the corpus, through the NumPy tokenising path.
    news = " ".join(r["text"] for r in records if r["kind"] == "news")
    for i in range(0, min(len(news), 200_000), 3000):
        _same(both, news[i : i + 3000])
