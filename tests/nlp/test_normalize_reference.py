"""The normaliser gives exactly the output of its previous, whole-text-scan version (``reference_normalize.py``).

Its patterns now run only where a match can start (``pilah.nlp.scan``); these tests compare tokens and
protected flags, and the two rewritten steps on their own, with the reference on generated text built from
the characters the patterns care about and on every text of the shipped corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import load_beside

from pilah.nlp import normalize

ROOT = Path(__file__).resolve().parents[2]


reference = load_beside(__file__, "reference_normalize.py", "pilah_reference_normalize")

# Single characters and pieces of the shapes the patterns look for: reduplication, money, numbers, elongated
# letters, e-mail, URLs, phone and NIK numbers; non-ASCII letters and digits, including characters that
# regular expressions fold onto ASCII letters (dotless i, long s, Kelvin sign, dotted capital I), full-width
# and Arabic-Indic digits, non-ASCII spaces.
_PIECES = [
    *"aAbBiIkKmMnNpPrRsStTxXyYzZ",
    *"0123456789",
    *" \n\t-.,@/:?+()*_\"",
    "Rp", "rp.", "RP ", "rb", "jt", "juta", "ribu", "miliar", "k", "m ",
    "aaa", "EEE", "gg", "nggg", "bangeeet", "anak", "Anak", "ibu", "2", "-anak", "-ibu",
    "0812", "+62", "(021)", "1505", "xxxx", "****",
    "www.", "http://", "https://", ".go.id", ".co.id", ".com", ".id", ".net", ".org", ".co", "@gmail",
    "é", "É", "İ", "ı", "ſ", "\u212a", "ß", "１２", "٣", "\u00a0", "\u2028", "—", "“", "”", "🙏",
]
_texts = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@pytest.fixture(scope="module")
def both(lexicon):
    return reference.Normalizer(lexicon), normalize.Normalizer(lexicon)


def _same(both, text: str) -> None:
    old, new = both[0].normalize(text), both[1].normalize(text)
    assert (new.tokens, list(new.protected)) == (old.tokens, list(old.protected)), text


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_texts)
def test_generated_text_normalises_as_the_reference(both, text):
    _same(both, text)
    assert normalize.mask_personal_data(text) == reference.mask_personal_data(text)
    assert normalize._reshape(text) == reference._reshape(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_arbitrary_text_normalises_as_the_reference(both, text):
    _same(both, text)
    assert normalize._reshape(text) == reference._reshape(text)


def test_dense_candidates_take_the_whole_text_scan_with_the_same_result(both):
    # More than one candidate in 8 characters: sub_at falls back to pattern.sub.
    for text in ("1 2 3 4 5 6 7 8 9 0 " * 20, "éééé ٣٣ ıııı ſſſ " * 20, "aaa-aaa2 " * 30, "0812 3456 7890 " * 20):
        _same(both, text)
        assert normalize.mask_personal_data(text) == reference.mask_personal_data(text)


def test_every_corpus_text_normalises_as_the_reference(both):
    texts = []
    for path in sorted((ROOT / "corpus" / "data").glob("**/*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len(texts) > 3000
    for text in texts:
        _same(both, text)


@pytest.fixture(scope="module")
def preprocessors(lexicon):
    from pilah.nlp.features import Preprocessor

    params = lexicon.to_params()
    plain = Preprocessor({**params, "stem_overrides": {**params["stem_overrides"], "zzz": ""}})
    assert plain._memo is None  # an override to "": the token-by-token loop
    return Preprocessor(params), plain


def _same_rows(preprocessors, texts):
    for prep in preprocessors:
        for text in texts:
            expected = reference.prepare(
                reference.Normalizer(prep.normalizer.lexicon), prep.stemmer, prep.stopwords, text
            )
            assert prep.prepare(text) == expected, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_texts)
def test_generated_text_prepares_as_the_reference(preprocessors, text):
    _same_rows(preprocessors, [text, text])  # the second time from the memo


def test_corpus_texts_prepare_as_the_reference_also_when_the_memo_is_cleared(preprocessors, monkeypatch):
    from pilah.corpus.records import read_corpus
    from pilah.nlp import features

    monkeypatch.setattr(features, "_MAX_MEMO", 50)
    texts = [ex.full_text for ex in read_corpus()[::11]]
    _same_rows(preprocessors, texts + texts[:20])
