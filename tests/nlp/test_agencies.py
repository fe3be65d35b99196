from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilah.corpus.gazetteer import load_extractor

DUKCAPIL_SAROLANGUN = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sarolangun"


@pytest.fixture(scope="module")
def ex():
    return load_extractor()


def names(ex, text, **kw):
    return [a["name"] for a in ex.extract(text, **kw)["agencies"]]


@pytest.mark.parametrize(
    ("text", "mention", "name"),
    [
        ("sy ngurus KK di Dukcapil Sarolangun blm jadi", "Dukcapil Sarolangun", DUKCAPIL_SAROLANGUN),
        ("Disdukcapil Kab. Sarolangun buka Sabtu", "Disdukcapil Kab. Sarolangun", DUKCAPIL_SAROLANGUN),
        ("Dinas Kependudukan dan Catatan Sipil Kabupaten Sarolangun menjawab",
         "Dinas Kependudukan dan Catatan Sipil Kabupaten Sarolangun", DUKCAPIL_SAROLANGUN),
        ("dinas kependudukn kabupaten sarolangun lambat", "dinas kependudukn kabupaten sarolangun",
         DUKCAPIL_SAROLANGUN),  # one-letter typo, lowercase
        ("Dinas Sosial, Kabupaten Muaro Jambi menyalurkan bantuan", "Dinas Sosial, Kabupaten Muaro Jambi",
         "Dinas Sosial Kabupaten Muaro Jambi"),  # comma between unit and region
        ("Dinsos Kota Palembang belum mencairkan", "Dinsos Kota Palembang", "Dinas Sosial Kota Palembang"),
        ("dinas kesehatn kota jambi tutup", "dinas kesehatn kota jambi", "Dinas Kesehatan Kota Jambi"),
        ("dinsos di kab. bogor", "dinsos di kab. bogor", "Dinas Sosial Kabupaten Bogor"),
        ("Laporan ke Polres Jaksel diabaikan", "Polres Jaksel", "Kepolisian Resor Metro Jakarta Selatan"),
        ("Ombudsman RI Perwakilan Jambi menilai", "Ombudsman RI Perwakilan Jambi",
         "Ombudsman Republik Indonesia Perwakilan Provinsi Jambi"),
        ("Pemkab Batanghari meraih zona hijau", "Pemkab Batanghari", "Pemerintah Kabupaten Batanghari"),
        ("surat edaran Kemendagri", "Kemendagri", "Kementerian Dalam Negeri"),
        ("kartu BPJS Kesehatan saya nonaktif", "BPJS Kesehatan", "Badan Penyelenggara Jaminan Sosial Kesehatan"),
        ("Pusat Pelayanan Terpadu Pemberdayaan Perempuan dan Anak (P2TP2A) Kota Kupang menangani",
         "Pusat Pelayanan Terpadu Pemberdayaan Perempuan dan Anak (P2TP2A) Kota Kupang",
         "Pusat Pelayanan Terpadu Pemberdayaan Perempuan dan Anak Kota Kupang"),
        ("tolong @dinsos_manado cek data kami", "dinsos_manado", "Dinas Sosial Kota Manado"),
        ("@pemkabpandeglang jalan rusak", "pemkabpandeglang", "Pemerintah Kabupaten Pandeglang"),
        ("tanya @KementerianLH soal limbah", "KementerianLH", "Kementerian Lingkungan Hidup"),
        ("Puskesmas Kenali Besar tutup hari Sabtu", "Puskesmas Kenali Besar",
         "Pusat Kesehatan Masyarakat Kenali Besar"),
        ("Dishub Jabar memasang rambu", "Dishub Jabar", "Dinas Perhubungan Provinsi Jawa Barat"),
    ],
)
def test_surface_forms_link_to_the_official_name(ex, text, mention, name):
    found = ex.extract(text)["agencies"]
    assert [(a["text"], a["name"]) for a in found] == [(mention, name)]
    a = found[0]
    assert text[a["start"] : a["end"]] == a["text"]


def test_lowercase_place_names_after_local_offices_come_from_kemendagri_names(ex):
    assert names(ex, "puskesmas playen tutup hari sabtu") == ["Pusat Kesehatan Masyarakat Playen"]
    assert names(ex, "kelurahan sidomulyo timur tidak melayani") == ["Kelurahan Sidomulyo Timur"]
    assert names(ex, "ke puskesmas induk dulu") == []  # ordinary words, not a name


def test_mention_carries_kind_level_region_and_sectors(ex):
    a = ex.extract("antre di Dukcapil Sarolangun")["agencies"][0]
    assert a["kind"] == "dinas" and a["level"] == "kabupaten"
    assert a["region"] == {"code": "15.03", "name": "Kabupaten Sarolangun"}
    assert a["region_inferred"] is False and "adminduk" in a["sectors"]
    assert a["acronym"]


def test_unit_without_region_takes_the_one_region_of_the_text(ex):
    text = "Banjir di Kabupaten Muaro Jambi. Dinas Sosial sudah mengirim bantuan."
    a = ex.extract(text)["agencies"][0]
    assert a["name"] == "Dinas Sosial Kabupaten Muaro Jambi" and a["region_inferred"] is True


def test_unit_without_region_stays_bare_when_two_regions_fit(ex):
    text = "Warga Kota Jambi dan Kabupaten Muaro Jambi mengadu ke Dinas Sosial."
    assert names(ex, text) == ["Dinas Sosial"]


def test_region_hint_of_the_desk_is_used_when_the_text_names_none(ex):
    a = ex.extract("sudah 3x ke dinsos tidak ada hasil", region_hint="Kota Cimahi")["agencies"][0]
    assert a["name"] == "Dinas Sosial Kota Cimahi" and a["region_inferred"] is True


@pytest.mark.parametrize(
    "text",
    [
        "Bupati Muaro Jambi meresmikan jembatan",  # a person's title
        "Menteri Dalam Negeri menerbitkan surat edaran",
        "Mendagri meminta kepala daerah patuh",
        "Kapolres Sarolangun memimpin apel",
        "pak kades sedang dinas luar kota",  # "dinas" as an ordinary word
        "mobil dinas dipakai untuk mudik",
        "rumah dinas camat kosong",
        "barang ori harganya mahal",  # ORI (Ombudsman) only in capitals
        "pemerintah daerah harus lebih tegas",  # generic, no region
        "batu besar menutup jalan",  # Kota Batu needs a capital or "Kota"
        "warga Kecamatan Kodi mengungsi",  # a place, not the office
        "laporan disertai foto",  # two edits from "Disperta": not a typo of it
        "itu bkn urusan sy, tanya bpk rt aja",  # chat "bkn" = bukan, "bpk" = bapak (BKN, BPK in capitals)
    ],
)
def test_negative_cases_give_no_agency(ex, text):
    assert names(ex, text) == []


def test_regions_are_extracted_with_codes(ex):
    regions = ex.extract("Banjir melanda Kab. Sarolangun dan Jabar")["regions"]
    assert [(r["text"], r["code"], r["level"]) for r in regions] == [
        ("Kab. Sarolangun", "15.03", "kabupaten"), ("Jabar", "32", "provinsi")
    ]


def test_bupati_title_still_yields_the_region(ex):
    out = ex.extract("Bupati Muaro Jambi meresmikan jembatan")
    assert [r["name"] for r in out["regions"]] == ["Kabupaten Muaro Jambi"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(
    ["Dukcapil Sarolangun", "dinsos", "Kota Jambi", ",", "(", ")", "BPJS", "di", "Kab.", "jalan", "rusak",
     "Polres", "Jaksel", "é", "\n", "Ombudsman RI Perwakilan", "Jambi", "@pemkabpandeglang", "123"]),
    max_size=25))
def test_offsets_always_point_into_the_original_text(ex, parts):
    text = " ".join(parts)
    out = ex.extract(text)
    for item in out["agencies"] + out["regions"]:
        assert text[item["start"] : item["end"]] == item["text"]


def test_offsets_survive_characters_whose_lowercase_is_longer(ex):
    text = "İstanbul dan @dinsos_bogor tolong"
    a = ex.extract(text)["agencies"][0]
    assert a["text"] == "dinsos_bogor" and text[a["start"] : a["end"]] == "dinsos_bogor"


def test_shouted_text_does_not_turn_every_word_into_a_place_name(ex):
    out = names(ex, "SAYA KE PUSKESMAS KENALI BESAR TAPI TUTUP, LALU KE DINSOS JUGA")
    assert out[0] == "Pusat Kesehatan Masyarakat Kenali Besar"


def test_a_megabyte_long_word_is_handled(ex):
    assert ex.extract("x" * 1_000_000) == {"agencies": [], "regions": []}


def test_a_short_form_after_the_full_name_refers_to_the_same_office(ex):
    text = ("Dinas Sosial (Dinsos) Kabupaten Maluku Tenggara menyalurkan bantuan ke Kota Tual. "
            "Dinsos juga mendata warga. Kantor Kementerian Agama Kota Malang dan Kemenag menjawab.")
    out = names(ex, text)
    assert out == ["Dinas Sosial Kabupaten Maluku Tenggara", "Dinas Sosial Kabupaten Maluku Tenggara",
                   "Kantor Kementerian Agama Kota Malang", "Kantor Kementerian Agama Kota Malang"]


def test_ombudsman_after_its_perwakilan_is_that_office(ex):
    out = names(ex, "Ombudsman RI Perwakilan Jambi menerima laporan. Ombudsman meminta klarifikasi.")
    assert out == ["Ombudsman Republik Indonesia Perwakilan Provinsi Jambi"] * 2
