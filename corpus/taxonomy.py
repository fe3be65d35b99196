"""The sector taxonomy: a data file, loaded into a small immutable object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pilah.corpus.resources import YAMLError, load_yaml
from pilah.nlp.errors import DataError

__all__ = ["Sector", "Taxonomy", "load_taxonomy", "DEFAULT_TAXONOMY"]

DEFAULT_TAXONOMY = "taxonomy.yaml"
_ID = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    gloss: str
    scope: str
    agencies: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: int
    abstain: str
    sectors: tuple[Sector, ...]

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sectors]

    @property
    def labels(self) -> set[str]:
        """Every label a record may carry: the sectors and the abstain label."""
        return {*self.ids, self.abstain}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Taxonomy:
        """Inverse of :meth:`to_dict` (a taxonomy stored in a model's ``meta.json``)."""
        return cls(
            name=str(d["name"]), version=int(d["version"]), abstain=str(d["abstain"]),
            sectors=tuple(
                Sector(s["id"], s["name"], s["gloss"], s["scope"], tuple(s["agencies"])) for s in d["sectors"]
            ),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "abstain": self.abstain,
            "sectors": [
                {"id": s.id, "name": s.name, "gloss": s.gloss, "scope": s.scope, "agencies": list(s.agencies)}
                for s in self.sectors
            ],
        }


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file (the shipped default when ``path`` is None)."""
    if path is None:
        text = resources.files("pilah.corpus").joinpath(DEFAULT_TAXONOMY).read_text(encoding="utf-8")
        where = "the default taxonomy"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"Cannot read taxonomy {path}: {exc.strerror}. Check the path.") from exc
        where = str(path)
    try:
        raw = load_yaml(text)
        sectors = tuple(
            Sector(
                id=str(s["id"]),
                name=str(s.get("name", s["id"])),
                gloss=str(s.get("gloss", "")),
                scope=str(s.get("scope", "")),
                agencies=tuple(s.get("agencies", [])),
            )
            for s in raw["sectors"]
        )
        tax = Taxonomy(
            name=str(raw.get("name", "custom")),
            version=int(raw.get("version", 1)),
            abstain=str(raw.get("abstain", "lainnya")),
            sectors=sectors,
        )
    except (YAMLError, KeyError, TypeError) as exc:
        raise DataError(
            f"{where} is not a valid taxonomy ({exc}). It needs `sectors:` as a list of items with an `id`."
        ) from exc
    ids = tax.ids
    raw_ids = [s.get("id") for s in raw["sectors"]]
    bad = [i for i in raw_ids if not isinstance(i, str) or not _ID.fullmatch(i)]
    if bad:
        raise DataError(
            f"{where}: sector ids must be strings of letters, digits, '_' or '-' (quote them in YAML), "
            f"not {bad}."
        )
    if len(set(ids)) != len(ids) or tax.abstain in ids or len(ids) < 2:
        raise DataError(
            f"{where}: sector ids must be unique, at least two, and differ from the abstain label {tax.abstain!r}."
        )
    return tax
