"""Shared fixtures: the real lexicon, a small in-code corpus and a small model trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilah.corpus.records import Example
from pilah.corpus.resources import load_lexicon
from pilah.corpus.taxonomy import Sector, Taxonomy
from pilah.nlp.lexicon import Lexicon

SMALL_TEXTS = {
    "adminduk": [
        "KTP el saya sudah tiga bulan belum jadi di Dukcapil, katanya blangko habis",
        "sy mau urus akta kelahiran anak tp disuruh bolak balik ke dukcapil terus",
        "kartu keluarga saya salah nama, mohon dibantu perbaikan data KK",
        "NIK saya terdaftar ganda sehingga tidak bisa daftar BPJS, tolong Disdukcapil cek",
        "pindah datang dari Jambi ke Palembang, surat pindah belum keluar juga",
        "antrean perekaman KTP di kantor dukcapil panjang sekali dan loket cuma satu",
        "akta kematian ayah saya belum terbit padahal berkas lengkap",
        "petugas dukcapil minta uang tambahan untuk percepatan cetak KTP",
        "blangko ktp kosong lagi, sdh 2 bln nunggu cetak ktp el",
        "aktivasi identitas kependudukan digital gagal terus di aplikasi",
    ],
    "infrastruktur": [
        "jalan desa kami rusak parah berlubang besar, tolong diperbaiki sebelum musim hujan",
        "jembatan gantung di kampung kami putus, anak sekolah harus menyeberang sungai",
        "drainase di depan pasar tersumbat sehingga air meluap ke jalan",
        "lampu penerangan jalan umum mati sebulan di jalan utama kecamatan",
        "proyek pengaspalan jalan kabupaten mangkrak sejak tahun lalu",
        "gorong gorong ambruk di tikungan, sangat berbahaya untuk pengendara",
        "trotoar rusak dan berlubang di pusat kota, pejalan kaki terpaksa turun ke jalan",
        "jalan provinsi penghubung dua kabupaten retak dan amblas",
        "perbaikan jalan asal asalan, baru seminggu aspal sudah mengelupas",
        "rumah tidak layak huni warga belum juga dibantu program bedah rumah",
    ],
    "kesehatan": [
        "puskesmas tutup hari sabtu padahal anak saya demam tinggi",
        "kartu BPJS kesehatan saya tidak aktif saat berobat ke rumah sakit",
        "obat di apotek puskesmas kosong, pasien disuruh beli di luar",
        "ambulans desa tidak datang waktu ibu saya mau melahirkan",
        "rsud menolak pasien miskin dengan alasan kamar penuh",
        "imunisasi anak di posyandu ditunda terus karena vaksin habis",
        "antrean pendaftaran pasien di rumah sakit umum daerah sangat lama",
        "dokter jarang ada di puskesmas pembantu kami",
        "klaim rujukan BPJS ditolak rumah sakit, pasien harus bayar sendiri",
        "balita stunting di kampung tidak dapat makanan tambahan dari puskesmas",
    ],
    "lainnya": [
        "terima kasih atas pelayanan yang ramah, semoga terus begini",
        "jual pulsa murah hubungi saya segera",
        "tetangga saya parkir motor di depan pagar saya setiap malam",
        "tim sepak bola kota menang besar di pertandingan semalam",
        "selamat hari raya untuk semua warga",
        "ada yang tahu resep rendang yang enak",
    ],
}


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.fixture(scope="session")
def small_taxonomy() -> Taxonomy:
    sectors = tuple(
        Sector(s, s.title(), s, f"scope of {s}", ()) for s in ("adminduk", "infrastruktur", "kesehatan")
    )
    return Taxonomy(name="small", version=1, abstain="lainnya", sectors=sectors)


@pytest.fixture(scope="session")
def small_examples() -> list[Example]:
    out = []
    for label, texts in SMALL_TEXTS.items():
        for i, text in enumerate(texts):
            out.append(Example(id=f"{label}-{i}", text=text, labels=(label,)))
    return out


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory: pytest.TempPathFactory, small_examples, small_taxonomy) -> Path:
    from pilah.models.persistence import save_model
    from pilah.models.train import train_model

    result = train_model(small_examples, small_examples[:6], taxonomy=small_taxonomy, folds=3, seed=7)
    out = tmp_path_factory.mktemp("models") / "small"
    save_model(result.model, out, card=result.card)
    return out
