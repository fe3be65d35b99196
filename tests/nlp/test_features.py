from __future__ import annotations

from pilah.nlp.features import Preprocessor, compose_text


def test_prepare_gives_normalised_text_and_stems(lexicon):
    norm, stems = Preprocessor(lexicon.to_params()).prepare("Sy udh ngurus KTP di Dukcapil, pembangunan jalan")
    assert norm.startswith("saya sudah mengurus ktp di dukcapil")
    assert "bangun" in stems.split()
    assert "di" not in stems.split()  # stop words never reach the word n-grams


def test_prepare_is_deterministic_across_instances(lexicon):
    texts = ["Anak-anak tidak dapat KIP", "lampu jalan mati bgt"]
    a = Preprocessor(lexicon.to_params()).prepare_all(texts)
    b = Preprocessor(lexicon.to_params()).prepare_all(texts)
    assert a == b


def test_title_and_text_are_joined_the_same_way_everywhere():
    assert compose_text("Jalan rusak", "Sudah lama") == "Jalan rusak.\nSudah lama"
    assert compose_text(None, "Sudah lama") == "Sudah lama"
