from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilah.nlp.linear import LinearHead, _count_per_row


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), max_size=30), min_size=1, max_size=12),
    st.integers(0, 3000),
    st.sampled_from([None, 97, 65_535, 65_536]),
    st.booleans(),
)
def test_per_row_counts_equal_numpys_unique(rows, long_row, bound, high):
    rows = [*rows, list(range(long_row % 97)) * (long_row // 97 + 1)]  # sometimes one long row: sorted keys path
    shift = bound - 97 if high and bound else 0  # values up to bound - 1: the padding must sort last
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    occurrences = np.array([v + shift for r in rows for v in r], dtype=np.int32)
    row, value, count = _count_per_row(occurrences, lengths, bound)
    scale = 1 << 20
    keys, expected = np.unique(np.repeat(np.arange(len(rows)), lengths) * scale + occurrences, return_counts=True)
    assert row.tolist() == (keys // scale).tolist()
    assert value.tolist() == (keys % scale).tolist()
    assert count.tolist() == expected.tolist()


def _tiny_head() -> LinearHead:
    return LinearHead(
        word_terms=["jalan", "rusak", "jalan rusak"], word_idf=np.array([1.0, 2.0, 3.0]),
        char_terms=[" ja", "jal", "ala"], char_idf=np.array([1.0, 1.5, 2.0]),
        weights=np.arange(12, dtype=np.float32).reshape(6, 2) / 10, intercepts=np.array([0.1, -0.1]),
        sigmoid_a=np.array([-1.0, -2.0]), sigmoid_b=np.array([0.0, 0.5]),
    )


def test_tfidf_by_hand_for_a_tiny_head():
    head = _tiny_head()
    idx, vals = head.features("jalan jalan", "jalan rusak jalan")
    # words: jalan x2 -> (1 + ln 2) * 1, rusak -> 2, "jalan rusak" -> 3 (bigram "rusak jalan" unknown);
    # chars: " ja" x2 -> (1 + ln 2) * 1, "jal" x2 -> (1 + ln 2) * 1.5, "ala" x2 -> (1 + ln 2) * 2
    w = np.array([1 + np.log(2), 2.0, 3.0])
    c = (1 + np.log(2)) * np.array([1.0, 1.5, 2.0])
    assert idx.tolist() == [0, 1, 2, 3, 4, 5]
    assert np.allclose(vals, np.concatenate([w / np.linalg.norm(w), c / np.linalg.norm(c)]), atol=1e-6)
    score = vals @ head.weights + head.intercepts
    assert np.allclose(head.decision([("jalan jalan", "jalan rusak jalan")])[0], score, atol=1e-6)
    expected = 1 / (1 + np.exp(-score * [1, 2] + [0, 0.5]))
    assert np.allclose(head.proba([("jalan jalan", "jalan rusak jalan")])[0], expected)


def test_rows_without_known_terms_score_the_intercepts():
    head = _tiny_head()
    scores = head.decision([("xyz", "xyz"), ("", ""), ("jalan", "jalan")])
    assert np.allclose(scores[0], head.intercepts) and np.allclose(scores[1], head.intercepts)
    assert not np.allclose(scores[2], head.intercepts)
    assert head.decision([]).shape == (0, 2)


def test_a_head_whose_per_label_arrays_disagree_is_refused():
    good = _tiny_head()
    parts = {
        "word_terms": good.word_terms, "word_idf": good.idf[:3], "char_terms": good.char_terms,
        "char_idf": good.idf[3:], "weights": good.weights, "intercepts": good.intercepts,
        "sigmoid_a": good.sigmoid_a, "sigmoid_b": good.sigmoid_b,
    }
    LinearHead(**parts)
    for name, bad in [("intercepts", np.zeros(3)), ("sigmoid_a", np.zeros(1)), ("weights", np.zeros(6))]:
        with pytest.raises(ValueError, match="inconsistent head"):
            LinearHead(**{**parts, name: bad})


def test_the_per_word_cache_is_bounded_in_bytes_not_only_in_words(monkeypatch):
    import pilah.nlp.linear as linear

    monkeypatch.setattr(linear, "_MAX_CACHE_BYTES", 50_000, raising=False)
    head = _tiny_head()
    for i in range(20):  # twenty 1,000-letter words, each made of known n-grams
        head.decision([("jalan" * 200 + "x" * (i + 1), "")])
    cached = sum(len(word) + len(packed) for word, packed in head._word_cache.items())
    assert 0 < cached <= 50_000
    assert np.allclose(head.decision([("jalan" * 200 + "x", "")]), head.decision([("jalan" * 200 + "x", "")]))
