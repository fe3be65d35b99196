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


@pytest.mark.parametrize(
    ("text", "mention", "name"),
    [
        # A regional office with a combined name of its own is named as written, with the official region name.
        ("Dinas Pertanian dan Pangan Kabupaten Bangka Barat menyalurkan benih",
         "Dinas Pertanian dan Pangan Kabupaten Bangka Barat", "Dinas Pertanian dan Pangan Kabupaten Bangka Barat"),
        ("Dinas Ketenagakerjaan Kota Bekasi membuka posko", "Dinas Ketenagakerjaan Kota Bekasi",
         "Dinas Ketenagakerjaan Kota Bekasi"),
        ("Dinas Komunikasi, Informatika dan Persandian Kabupaten Aceh Singkil menjawab",
         "Dinas Komunikasi, Informatika dan Persandian Kabupaten Aceh Singkil",
         "Dinas Komunikasi, Informatika dan Persandian Kabupaten Aceh Singkil"),
        ("Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi Kota Medan memperbaiki jalan",
         "Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi Kota Medan",
         "Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi Kota Medan"),
        ("Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi (SDABMBK) Kabupaten Bekasi memperbaiki jalan",
         "Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi (SDABMBK) Kabupaten Bekasi",
         "Dinas Sumber Daya Air, Bina Marga dan Bina Konstruksi Kabupaten Bekasi"),
        ("Dinas Pemberdayaan Masyarakat dan Nagari Kabupaten Agam mendampingi wali nagari",
         "Dinas Pemberdayaan Masyarakat dan Nagari Kabupaten Agam",
         "Dinas Pemberdayaan Masyarakat dan Nagari Kabupaten Agam"),
        ("Dinas Pemberdayaan Masyarakat dan Kampung Lampung Tengah", "Dinas Pemberdayaan Masyarakat dan Kampung "
         "Lampung Tengah", "Dinas Pemberdayaan Masyarakat dan Kampung Kabupaten Lampung Tengah"),
        # Jakarta's kota administrasi have a "suku dinas" of the province's dinas.
        ("Suku Dinas Sosial Jakarta Pusat mendata warga", "Suku Dinas Sosial Jakarta Pusat",
         "Suku Dinas Sosial Kota Administrasi Jakarta Pusat"),
        ("Sudin SDA Jaktim belum mengeruk kali", "Sudin SDA Jaktim",
         "Suku Dinas Sumber Daya Air Kota Administrasi Jakarta Timur"),
        ("Suku Dinas Pendidikan Wilayah II Jakarta Barat", "Suku Dinas Pendidikan Wilayah II Jakarta Barat",
         "Suku Dinas Pendidikan Wilayah II Kota Administrasi Jakarta Barat"),
        ("Dinas Sosial Provinsi DKI Jakarta menyalurkan bantuan", "Dinas Sosial Provinsi DKI Jakarta",
         "Dinas Sosial Provinsi Daerah Khusus Ibukota Jakarta"),  # the province's own dinas
        ("BP Batam menaikkan tarif air", "BP Batam", "Badan Pengusahaan Batam"),
    ],
)
def test_regional_offices_named_as_written(ex, text, mention, name):
    found = ex.extract(text)["agencies"]
    assert [(a["text"], a["name"]) for a in found] == [(mention, name)]
    assert text[found[0]["start"] : found[0]["end"]] == mention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Capitals after a unit are a name only when a region (or a combined "X dan Y" name) follows them.
        ("Dinas Sosial Tolong Bantu kami", ["Dinas Sosial"]),
        # An acronym or another "Dinas" starts another office.
        ("Dinas Kesehatan dan BPBD Kabupaten Tebo turun ke lokasi",
         ["Dinas Kesehatan Kabupaten Tebo", "Badan Penanggulangan Bencana Daerah Kabupaten Tebo"]),
        ("Dinas Sosial dan Dinas Kesehatan Kota Jambi turun",
         ["Dinas Sosial Kota Jambi", "Dinas Kesehatan Kota Jambi"]),
        ("Kepala Dinas Sosial Kota Jambi, Budi, mengatakan", ["Dinas Sosial Kota Jambi"]),
        # The short form of an office first named in full keeps that name.
        ("Dinas Lingkungan Hidup dan Kebersihan Kota Pekanbaru mengangkut sampah. DLHK Pekanbaru berjanji",
         ["Dinas Lingkungan Hidup dan Kebersihan Kota Pekanbaru"] * 2),
    ],
)
def test_where_a_written_office_name_ends(ex, text, expected):
    assert names(ex, text) == expected


@pytest.mark.parametrize(
    ("text", "hint", "name"),
    [
        ("sudah ke dinsos belum ada kabar", "Kota Administrasi Jakarta Barat",
         "Suku Dinas Sosial Kota Administrasi Jakarta Barat"),
        # "Probolinggo" is a kota and a kabupaten: the desk's own region decides.
        ("dispenduk probolinggo lambat", "Kabupaten Probolinggo",
         "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Probolinggo"),
        ("dispenduk probolinggo lambat", None, "Dinas Kependudukan dan Pencatatan Sipil Kota Probolinggo"),
    ],
)
def test_region_of_the_desk_decides_between_regions(ex, text, hint, name):
    assert names(ex, text, region_hint=hint) == [name]


@pytest.mark.parametrize(
    ("text", "hint", "mention", "name"),
    [
        # Writers disagree on whether a company's brand belongs to its name: the region names it.
        ("Perumda Air Minum Tirta Dharma Kota Bengkulu menaikkan tarif", None,
         "Perumda Air Minum Tirta Dharma Kota Bengkulu", "Perusahaan Daerah Air Minum Kota Bengkulu"),
        # A regency's hospital named by the regency; a named hospital without the town after its name.
        ("RSUD Empat Lawang kekurangan dokter", None, "RSUD Empat Lawang",
         "Rumah Sakit Umum Daerah Kabupaten Empat Lawang"),
        ("rsud kebumen penuh", "Kabupaten Kebumen", "rsud kebumen", "Rumah Sakit Umum Daerah Kabupaten Kebumen"),
        ("RSUD RA Kartini Jepara menolak pasien", None, "RSUD RA Kartini Jepara", "Rumah Sakit Umum Daerah RA Kartini"),
        ("RSUD Tarakan penuh", "Kota Administrasi Jakarta Pusat", "RSUD Tarakan",
         "Rumah Sakit Umum Daerah Tarakan"),  # Jakarta's hospital, not Kota Tarakan's
        # Kejaksaan negeri take the level only where a kota and a kabupaten share the name.
        ("Kejari Kota Cirebon menahan tersangka", None, "Kejari Kota Cirebon", "Kejaksaan Negeri Kota Cirebon"),
        ("Kejaksaan Negeri Pati menahan tersangka", None, "Kejaksaan Negeri Pati", "Kejaksaan Negeri Pati"),
        ("inspektorat daerah sudah memeriksa", "Kabupaten Wonosobo", "inspektorat daerah",
         "Inspektorat Daerah Kabupaten Wonosobo"),
        # The Ombudsman with a province is its perwakilan; alone it is the national body.
        ("ombudsman jabar lambat", None, "ombudsman jabar",
         "Ombudsman Republik Indonesia Perwakilan Provinsi Jawa Barat"),
        ("Ombudsman RI menilai kepatuhan", None, "Ombudsman RI", "Ombudsman Republik Indonesia"),
        # "BPN" alone is the land office people deal with; "BPN RI" the ministry.
        ("ngurus sertifikat di bpn lama bgt", "Kabupaten Bogor", "bpn", "Kantor Pertanahan Kabupaten Bogor"),
        ("BPN RI menargetkan sertifikasi", None, "BPN RI",
         "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional"),
    ],
)
def test_names_of_companies_hospitals_and_vertical_offices(ex, text, hint, mention, name):
    found = ex.extract(text, region_hint=hint)["agencies"]
    assert [(a["text"], a["name"]) for a in found] == [(mention, name)]
    assert text[found[0]["start"] : found[0]["end"]] == mention


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        # An office written as an office ("kantor ...") keeps the bare name of its kind.
        ("udh tanya ke kantor desa katanya tunggu", "Kabupaten Deli Serdang", [("kantor desa", "Pemerintah Desa")]),
        ("berobat ke puskesmas obatnya kosong", None, []),  # the kind alone: not one office
        ("Pustu Sipora tutup", None, [("Pustu Sipora", "Puskesmas Pembantu Sipora")]),
        ("pns di kantor kecamatan sy tiap jumat pulang", None, [("kantor kecamatan", "Kecamatan")]),
        ("lapor ke polsek di Kota Jambi", None, [("polsek", "Kepolisian Sektor")]),  # the kota names no polsek
        # Offices counted or in the plural are offices in general.
        ("sembilan puskesmas di Kabupaten Pegunungan Bintang tutup", None, []),
        ("terdapat 21 puskesmas yang mencatat stunting", None, []),
        ("layanan dibuka di setiap kantor kecamatan", None, []),
        ("layanan di kantor-kantor kecamatan", None, []),
        ("pemerintah desa harus transparan", None, []),  # village government in general
        # An address is not the office.
        ("Kami warga Kelurahan Cibuluh melaporkan judi", None, []),
        ("kami warga RW 09 Kelurahan Tanah Sareal mengajukan keberatan", None, []),
        ("mengurus surat di Kelurahan Cibuluh lama", None, [("Kelurahan Cibuluh", "Kelurahan Cibuluh")]),
        # "pemerintah provinsi", "pemerintah daerah" without a region are government in general.
        ("Pemerintah provinsi berjanji memperbaiki jalan", "Kalimantan Barat", []),
        ("pemerintah daerah harus tegas", "Kabupaten Garut", []),
        # Regional forums, port and road offices, Jakarta's companies.
        ("FKUB Simalungun menggelar dialog", None,
         [("FKUB Simalungun", "Forum Kerukunan Umat Beragama Kabupaten Simalungun")]),
        ("KSOP Kalabahi menunda pelayaran", None,
         [("KSOP Kalabahi", "Kantor Kesyahbandaran dan Otoritas Pelabuhan Kalabahi")]),
        ("Balai Pelaksanaan Jalan Nasional belum memperbaiki jalan", "Kabupaten Kerinci",
         [("Balai Pelaksanaan Jalan Nasional", "Balai Pelaksanaan Jalan Nasional Jambi")]),
        ("PAM Jaya mati lagi", None, [("PAM Jaya", "Perusahaan Umum Daerah Air Minum Jaya")]),
        ("naik Transjakarta ke kantor", None, [("Transjakarta", "PT Transportasi Jakarta")]),
    ],
)
def test_offices_named_by_their_kind(ex, text, hint, expected):
    found = ex.extract(text, region_hint=hint)["agencies"]
    assert [(a["text"], a["name"]) for a in found] == expected
    for a in found:
        assert text[a["start"] : a["end"]] == a["text"]


@pytest.mark.parametrize(
    "text",
    [
        "sudah 3 kali lapor lewat SP4N-LAPOR soal jalan rusak",  # a complaint channel, not an agency
        "keberatan saya kepada atasan PPID juga tidak dijawab",  # an officer's role
    ],
)
def test_channels_and_roles_are_not_agencies(ex, text):
    assert names(ex, text) == []


def test_new_words_do_not_grow_the_matcher_vocabulary(ex):
    """A long-running service meets new words forever; spaCy's vocabulary must not keep them all."""
    import random

    rng = random.Random(3)
    ex.extract("Dinas Sosial Kota Jambi belum menyalurkan bansos")
    before = len(ex._vocab.strings)
    for _ in range(300):
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9))
        out = ex.extract(f"Laporan {word} ke Dinas Sosial Kota Jambi soal {word}{word}")
        assert out["agencies"][0]["name"] == "Dinas Sosial Kota Jambi"
    assert len(ex._vocab.strings) == before


@pytest.mark.parametrize(
    ("hint", "name"),
    [
        ("15.05", "Kabupaten Muaro Jambi"),
        ("Kabupaten Muaro Jambi", "Kabupaten Muaro Jambi"),
        ("Kab. Muaro Jambi", "Kabupaten Muaro Jambi"),
        ("kab muaro jambi", "Kabupaten Muaro Jambi"),
        ("Pemkab Muaro Jambi", "Kabupaten Muaro Jambi"),
        ("Muaro Jambi", "Kabupaten Muaro Jambi"),
        ("Kota Adm. Jakarta Selatan", "Kota Administrasi Jakarta Selatan"),
        ("Jaksel", "Kota Administrasi Jakarta Selatan"),
        ("Pemkot Bogor", "Kota Bogor"),
        ("Kab. Bogor", "Kabupaten Bogor"),
    ],
)
def test_a_desk_region_is_read_as_written(ex, hint, name):
    assert ex.resolve_region(hint).name == name
    assert [r.name for r in ex.region_candidates(hint)] == [name]


@pytest.mark.parametrize(("hint", "candidates"), [
    ("Bogor", ["Kabupaten Bogor", "Kota Bogor"]),  # both: the desk must say which
    ("Kota Atlantis", []),
    ("Kab. Jambi", []),  # Jambi is a province and a kota, no kabupaten
])
def test_a_desk_region_that_names_several_or_none_does_not_resolve(ex, hint, candidates):
    assert ex.resolve_region(hint) is None
    assert sorted(r.name for r in ex.region_candidates(hint)) == candidates


@pytest.mark.parametrize(("text", "name"), [
    ("Sudin Sosial Jakarta Barat lambat", "Suku Dinas Sosial Kota Administrasi Jakarta Barat"),
    ("lapor ke sudin sosial", "Suku Dinas Sosial"),
    ("Sudin Sosial Kabupaten Bogor lambat", "Dinas Sosial Kabupaten Bogor"),  # no suku dinas outside Jakarta
])
def test_a_suku_dinas_only_in_jakarta(ex, text, name):
    assert names(ex, text) == [name]
