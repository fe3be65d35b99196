"""Request and response schemas of the HTTP API (the same analysis object as ``pilah analyze``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, WithJsonSchema

__all__ = [
    "AgencyIn", "AgencyOut", "AnalysisOut", "AnalyzeIn", "BatchIn", "BatchOut", "ClassifyOut", "ExtractOut",
    "FeedbackIn", "FeedbackOut", "ModelInfo", "Problem", "RegionOut", "ReloadIn", "ReloadOut", "ScoreOut",
]

DocId = StrictStr | StrictInt | None

# The document fields of AnalyzeIn are checked by `pilah.models.analysis.parse_document`, as for a batch
# document and a `pilah analyze` line, so that all three give the same codes (`invalid_id`,
# `title_not_string`, ...). Pydantic only documents their types here (WithJsonSchema) and lets any value pass.
_AnyString = Annotated[Any, WithJsonSchema({"type": "string"})]
_AnyOptString = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})]
_AnyDocId = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})]


class AnalyzeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "lapor-1", "text": "sy udh 3 bln ngurus KK di Dukcapil Sarolangun blm jadi", "explain": True}
    ]})
    text: _AnyString = Field(description="Complaint or article text, as written.")
    id: _AnyDocId = Field(None, description="Your identifier (string or integer), echoed back.")
    title: _AnyOptString = Field(None, description="Headline (news), analysed with the text.")
    region: _AnyOptString = Field(
        None, description="Region of the desk (Kemendagri code such as \"15.05\" or official name such as "
        "\"Kabupaten Muaro Jambi\"): used for an agency named without a region when the text names none. "
        "An unknown region is an error (`unknown_region`), a name of several (`ambiguous_region`) too."
    )
    explain: StrictBool = Field(False, description="Add the terms that pushed the top sector most.")


class BatchIn(BaseModel):
    documents: list[Any] = Field(
        description="Objects shaped like AnalyzeIn; a bad one gets an `error` in its place."
    )
    explain: StrictBool = False


class ScoreOut(BaseModel):
    label: str
    score: float


class RegionRef(BaseModel):
    code: str
    name: str


class AgencyOut(BaseModel):
    text: str
    start: int
    end: int
    name: str
    acronym: str | None = None
    kind: str
    level: str | None = None
    region: RegionRef | None = None
    region_inferred: bool = False
    sectors: list[str] = []


class RegionOut(BaseModel):
    text: str
    start: int
    end: int
    code: str
    name: str
    level: str


class ErrorOut(BaseModel):
    code: str
    message: str


class ClassifyOut(BaseModel):
    id: DocId = None
    sector: ScoreOut
    sectors: list[ScoreOut]
    labels: list[str]
    explanation: list[dict[str, Any]] | None = None
    model: dict[str, str] | None = None


class ExtractOut(BaseModel):
    id: DocId = None
    agencies: list[AgencyOut]
    regions: list[RegionOut]


class AnalysisOut(BaseModel):
    id: DocId = None
    sector: ScoreOut | None = None
    sectors: list[ScoreOut] | None = None
    labels: list[str] | None = None
    agencies: list[AgencyOut] | None = None
    regions: list[RegionOut] | None = None
    explanation: list[dict[str, Any]] | None = None
    model: dict[str, str] | None = None
    error: ErrorOut | None = None


class BatchOut(BaseModel):
    results: list[AnalysisOut]


class ModelInfo(BaseModel):
    name: str
    version: str
    labels: list[str]
    thresholds: dict[str, float]
    abstain_label: str
    abstain_threshold: float
    metrics: dict[str, Any]
    trained_at: str | None = None
    data_hash: str | None = None
    path: str
    generation: int = Field(
        0, description="Reloads so far: 0 is the configured model; every worker process serves the same one."
    )


class AgencyIn(BaseModel):
    """One agency mention of a correction, as in the corpus; other keys (an analysis's agency) are ignored."""

    start: StrictInt = Field(ge=0, description="Offset of the mention's first character in the text.")
    end: StrictInt = Field(description="Offset after its last character (start < end <= length of the text).")
    name: StrictStr = Field(description="The agency's official name, e.g. \"Dinas Sosial Kota Jambi\".")
    text: StrictStr | None = Field(None, description="The mention as written; must equal text[start:end].")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "lapor-1", "text": "sudah 3 kali ke Dinsos Kota Jambi", "labels": ["sosial"],
         "agencies": [{"start": 16, "end": 33, "name": "Dinas Sosial Kota Jambi"}]}
    ]})
    id: StrictStr | StrictInt = Field(
        description="Identifier of the document being corrected. Sending it again with the same text replaces "
        "the earlier correction (the latest wins); with another text it is refused (409 feedback_conflict)."
    )
    text: str = Field(description="The document text (at most PILAH_MAX_TEXT_BYTES).")
    labels: list[StrictStr] = Field(
        description="Correct sector ids, first is primary; [\"lainnya\"] (the abstain label) alone marks a text "
        "out of scope."
    )
    agencies: list[AgencyIn] | None = Field(None, description="Corrected agency mentions (offsets in characters).")


class FeedbackOut(BaseModel):
    stored: bool
    feedback_id: int


class ReloadIn(BaseModel):
    model_dir: str | None = Field(None, description="Model directory to load (default: the configured one).")
    allow_label_change: bool = Field(
        False, description="Swap in a model whose sectors differ from the served model's (refused otherwise)."
    )


class ReloadOut(BaseModel):
    status: str
    previous: dict[str, str]
    model: dict[str, str]
    path: str
    generation: int = Field(description="The reload's generation; the other workers load it within ~1 s.")
    label_change: str | None = Field(None, description="How the label set changed (with allow_label_change).")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str
    request_id: str | None = None
