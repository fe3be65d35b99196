"""The analysis contract shared by ``pilah analyze``, the HTTP API and batch jobs.

One input document ``{"text": ..., "id"?: ..., "title"?: ...}`` gives one analysis object::

    {"id": ..., "sector": {"label": "adminduk", "score": 0.91},
     "sectors": [{"label": ..., "score": ...}, ...],   # every sector of the model, best first
     "labels": ["adminduk"],                            # sectors passing their thresholds (may be empty)
     "agencies": [...], "regions": [...],
     "model": {"name": ..., "version": ...}}

or, for a bad document, ``{"id": ..., "error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pilah.models.sector_model import SectorModel
from pilah.nlp.errors import InputError
from pilah.nlp.features import compose_text
from pilah.nlp.normalize import is_valid_unicode

__all__ = [
    "Analyzer", "Document", "Extractor", "parse_document", "error_result", "valid_id",
    "DEFAULT_MAX_CHARS",
]

DEFAULT_MAX_CHARS = 1_000_000


class Extractor(Protocol):
    def extract(self, text: str, region_hint: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """``{"agencies": [...], "regions": [...]}`` for one original text."""
        ...

    def resolve_region(self, hint: str) -> Any | None:
        """The region a desk's ``region`` names (code, official name, common spelling), or None."""
        ...

    def region_candidates(self, hint: str) -> list[Any]:
        """Every region the hint could mean (several for "Bogor", a kota and a kabupaten)."""
        ...


@dataclass(frozen=True)
class Document:
    id: Any
    text: str
    title: str | None = None
    region: str | None = None  # the desk's region (code or official name): fills in "dinsos" without one

    @property
    def full_text(self) -> str:
        return compose_text(self.title, self.text)


def valid_id(value: Any) -> bool:
    """Ids are strings, integers or absent: they are echoed back and must survive JSON unchanged."""
    return value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def parse_document(
    obj: Any, *, max_chars: int = DEFAULT_MAX_CHARS, max_bytes: int | None = None, limit_name: str = "--max-chars"
) -> Document:
    """Validate one input object; raises :class:`InputError` with a stable code and a fix.

    The size limit of text and title together is ``max_bytes`` UTF-8 bytes when given (the HTTP service),
    else ``max_chars`` characters (the command line); ``limit_name`` is the option or setting that raises it.
    """
    if not isinstance(obj, dict):
        raise InputError("Each document must be a JSON object with a \"text\" field.", code="not_an_object")
    doc_id = obj.get("id")
    if not valid_id(doc_id):
        raise InputError("\"id\" must be a string or an integer when given.", code="invalid_id")
    if "text" not in obj or obj["text"] is None:
        raise InputError("The document has no \"text\" field; add the text to analyse.", code="missing_text")
    text = obj["text"]
    if not isinstance(text, str):
        raise InputError(
            f"\"text\" must be a string, not {type(text).__name__}.", code="text_not_string"
        )
    if not text.strip():
        raise InputError("\"text\" is empty; send the complaint or article text.", code="empty_text")
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise InputError("\"title\" must be a string when given.", code="title_not_string")
    if max_bytes is not None:
        # "surrogatepass": an unpaired surrogate is counted here and refused just below, with its own code.
        size = len(text.encode("utf-8", "surrogatepass")) + len((title or "").encode("utf-8", "surrogatepass"))
        limit, unit = max_bytes, "bytes"
    else:
        size, limit, unit = len(text) + len(title or ""), max_chars, "characters"
    if size > limit:
        raise InputError(
            f"\"text\" and \"title\" have {size:,} {unit}, over the limit of {limit:,}; split the document or "
            f"raise {limit_name}.",
            code="text_too_large",
        )
    if not is_valid_unicode(text) or (title is not None and not is_valid_unicode(title)):
        raise InputError(
            "The text contains an unpaired surrogate (such as \\ud800), which is not valid Unicode; fix the "
            "encoding of the source.",
            code="invalid_utf8",
        )
    region = obj.get("region")
    if region is not None and not isinstance(region, str):
        raise InputError("\"region\" must be a string (a Kemendagri code or official name).",
                         code="region_not_string")
    return Document(id=doc_id, text=text, title=title or None, region=region if region and region.strip() else None)


def error_result(doc_id: Any, error: InputError) -> dict[str, Any]:
    return {"id": doc_id, "error": error.to_dict()}


class Analyzer:
    """Classifier plus (optional) agency/region extractor behind one call."""

    def __init__(self, model: SectorModel, extractor: Extractor | None = None) -> None:
        self.model = model
        self.extractor = extractor

    @property
    def model_info(self) -> dict[str, str]:
        return {"name": self.model.name, "version": self.model.version}

    def parse(self, obj: Any, **limits: Any) -> Document:
        """:func:`parse_document` plus the checks that need the model's data: an unknown ``region`` is an
        :class:`InputError` (``unknown_region``). ``pilah analyze`` and every HTTP endpoint parse with this."""
        doc = parse_document(obj, **limits)
        self.check_region(doc)
        return doc

    def check_region(self, doc: Document) -> None:
        if doc.region is None or self.extractor is None or self.extractor.resolve_region(doc.region) is not None:
            return
        shown = doc.region if len(doc.region) <= 60 else doc.region[:57] + "..."
        several = self.extractor.region_candidates(doc.region)
        if len(several) > 1:
            names = " or ".join(f"{r.name!r} ({r.code})" for r in several)
            raise InputError(f"\"region\" {shown!r} names more than one region: {names}; send one of these.",
                             code="ambiguous_region")
        raise InputError(
            f"Unknown \"region\" {shown!r}; give a Kemendagri code such as \"15.05\" or an official name such as "
            "\"Kabupaten Muaro Jambi\" or \"Kota Jambi\" (or leave it out).",
            code="unknown_region",
        )

    def classify(self, docs: Sequence[Document], *, explain: bool = False) -> list[dict[str, Any]]:
        if not docs:
            return []
        # Prepared once: the probabilities and an explanation read the same rows.
        rows = self.model.prepare([d.full_text for d in docs])
        decisions = self.model.decide_all(self.model.proba_prepared(rows))
        out = []
        for doc, row, dec in zip(docs, rows, decisions, strict=True):
            res: dict[str, Any] = {
                "id": doc.id,
                "sector": {"label": dec.label, "score": round(dec.score, 4)},
                "sectors": [{"label": lab, "score": round(p, 4)} for lab, p in dec.ranking],
                "labels": dec.labels,
            }
            if explain:  # an abstention (no label) has nothing to explain: []
                res["explanation"] = self.model.explain_prepared(row, dec.label) if dec.labels else []
            out.append(res)
        return out

    def extract(self, doc: Document) -> dict[str, list[dict[str, Any]]]:
        if self.extractor is None:
            return {"agencies": [], "regions": []}
        # Offsets refer to the body text; the title is analysed separately by callers that need it.
        return self.extractor.extract(doc.text, region_hint=doc.region)

    def analyze(self, docs: Sequence[Document], *, explain: bool = False) -> list[dict[str, Any]]:
        results = self.classify(docs, explain=explain)
        info = self.model_info
        for doc, res in zip(docs, results, strict=True):
            res.update(self.extract(doc))
            res["model"] = info
        return results
