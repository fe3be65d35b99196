from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilah.nlp.normalize import Normalizer, mask_personal_data


@pytest.fixture(scope="module")
def norm(lexicon):
    return Normalizer(lexicon)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sy udh nunggu lama bgt", "saya sudah menunggu lama sangat"),
        ("gk ada yg bantu", "tidak ada yang bantu"),
        ("nggak jelas dgn alasan krn blm ada blangko", "tidak jelas dengan alasan karena belum ada blangko"),
        ("tlg mhn dibantu", "tolong mohon dibantu"),
        ("lamaaaa bangeeet", "lama sangat"),
        ("anak-anak dan anak2 sekolah", "anak dan anak sekolah"),
        ("Ibu-ibu PKK", "ibu pkk"),
        ("jalan rusak wkwk", "jalan rusak"),
        ("ＫＴＰ saya", "ktp saya"),  # full-width letters (NFKC)
    ],
)
def test_informal_indonesian_becomes_standard(norm, raw, expected):
    assert norm.normalize(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("KK saya hilang", "kk saya hilang"),  # Kartu Keluarga
        ("kk saya hilang", "kk saya hilang"),
        ("halo kk admin", "halo kakak admin"),  # addressing someone
        ("tlg kk min", "tolong kakak admin"),
        ("udh pk helm", "sudah pakai helm"),
        ("pk lurah tidak ada", "bapak lurah tidak ada"),
        ("antar ke dr spesialis", "antar ke dokter spesialis"),
        ("surat dr kelurahan", "surat dari kelurahan"),
    ],
)
def test_ambiguous_forms_follow_their_context(norm, raw, expected):
    assert norm.normalize(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "placeholder", "secret"),
    [
        ("NIK saya 1505012345678901 tolong dicek", "__nik__", "1505012345678901"),
        ("no kk 3201 0115 0895 0001", "__nik__", "0895"),
        ("NIK 1505xxxxxxxxxxxx", "__nik__", "1505"),
        ("hubungi 0812-3456-7890", "__phone__", "7890"),
        ("wa +62 812 3456 7890", "__phone__", "3456"),
        ("telp (021) 555-1234", "__phone__", "555"),
        ("email budi.santoso@gmail.com", "__email__", "budi"),
        ("cek https://lapor.go.id/laporan/123", "__url__", "lapor"),
        ("buka www.dukcapil.kemendagri.go.id", "__url__", "kemendagri"),
    ],
)
def test_personal_data_never_reaches_the_features(norm, raw, placeholder, secret):
    out = norm.normalize(raw).text
    assert placeholder in out
    assert secret not in out
    assert secret not in mask_personal_data(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sudah 3 bulan", "sudah __num__ bulan"),
        ("diminta Rp 500.000", "diminta __rupiah__"),
        ("bayar 2jt", "bayar __rupiah__"),
        ("bayar 150 ribu", "bayar __rupiah__"),
        ("jalan 5 km rusak", "jalan __num__ km rusak"),
    ],
)
def test_numbers_and_amounts_become_features(norm, raw, expected):
    assert norm.normalize(raw).text == expected


def test_capitalised_words_inside_a_sentence_are_protected(norm):
    out = norm.normalize("Warga Bekasi mengadu ke Dinas Kependudukan. Pelayanan lambat")
    flags = dict(zip(out.tokens, out.protected, strict=True))
    assert flags["bekasi"] and flags["dinas"] and flags["kependudukan"]
    assert not flags["warga"]  # sentence start
    assert not flags["pelayanan"]  # sentence start after a full stop
    assert not flags["mengadu"]


def test_shouted_text_protects_nothing(norm):
    out = norm.normalize("JALAN RUSAK PARAH TOLONG DIPERBAIKI SEGERA")
    assert not any(out.protected)


@pytest.mark.parametrize("raw", ["", "   ", "!!!", "123"])
def test_degenerate_text_gives_few_or_no_tokens(norm, raw):
    out = norm.normalize(raw)
    assert len(out.tokens) == len(out.protected)
    assert all(t in ("__num__",) for t in out.tokens)


def test_a_megabyte_of_text_is_normalised(norm):
    text = ("jalan rusak di kabupaten muaro jambi tolong diperbaiki 0812-3456-7890 " * 15000)[:1_000_000]
    out = norm.normalize(text)
    assert len(out.tokens) > 100_000
    assert "7890" not in out.text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aAbkK2-0 .,rpjtRuiyY\u00e9x\u0131\u0663", max_size=40))
def test_the_scan_at_candidate_positions_equals_the_whole_text_scan(text):
    from pilah.nlp.normalize import _SHAPE, _reshape, _shape

    assert _reshape(text) == _SHAPE.sub(_shape, text)


def test_the_one_lookup_fast_path_equals_the_general_path(lexicon):
    from pilah.corpus.records import read_corpus

    class Always:  # forces the general path, every token through the per-token rules
        def isdisjoint(self, other):
            return False

        def __contains__(self, token):
            return True

    fast, general = Normalizer(lexicon), Normalizer(lexicon)
    general._special = Always()
    texts = [ex.full_text for ex in read_corpus()[::7]]
    assert sum(fast._special.isdisjoint(t.lower().split()) for t in texts) > 50  # both paths are exercised
    for text in texts:
        a, b = fast.normalize(text), general.normalize(text)
        assert (a.tokens, list(a.protected)) == (b.tokens, list(b.protected))
