"""Evaluation of agency extraction.

- On annotated JSONL (the corpus's held-out split by default): exact-span and canonical-name precision,
  recall and F1, micro-averaged over mentions, with the misses and false hits listed.
  Exact span: same ``start`` and ``end``. Canonical name: per document, the multiset of linked names.
- On CoNLL NER data (idner-news-2k): recall of the ORG spans that name government bodies, as a check on real
  news we did not write. A gold span counts as found when an extracted mention covers it (overlap), and
  exactly when the spans are equal. Also an estimate of precision on that real news: the share of all
  mentions extracted from its sentences that overlap a gold ORG span. The NER set was not annotated for
  us (it tags parties and companies as ORG too, and may miss an office), so this is a proxy: a mention
  over a PER or LOC span, or over no entity, is most likely a false hit; the report lists them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pilah.corpus.records import Example
from pilah.nlp.agencies import squash_name
from pilah.nlp.errors import DataError, PilahError

__all__ = [
    "evaluate_annotated", "evaluate_conll_government", "format_agency_report", "read_conll_orgs",
    "read_conll_sentences", "require_government_orgs",
]

# The last column of a CoNLL NER line: O, or a prefix and an entity type: BIO (B-, I-), IOBES (also E-, S-) or
# BILOU (L-, U-).
_BIO_TAG = re.compile(r"O|[BIESLU]-\S+")
_CONLL_HELP = ("a CoNLL NER file has one token per line with its BIO tag (O, B-ORG, I-ORG, ...; IOBES and BILOU "
               "too) in the last column and a blank line between sentences, like the idner-news-2k test.txt")


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp,
            "predicted": n_pred, "gold": n_gold}


def evaluate_annotated(examples: Sequence[Example], extractor: Any) -> dict[str, Any]:
    span_tp = name_tp = n_pred = n_gold = 0
    misses: list[str] = []
    false_hits: list[str] = []
    for ex in examples:
        gold = [(int(a["start"]), int(a["end"]), str(a["name"])) for a in ex.agencies]
        found = extractor.extract(ex.text, region_hint=ex.region)["agencies"]
        pred = [(m["start"], m["end"], squash_name(m["name"])) for m in found]
        gold = [(s, e, squash_name(n)) for s, e, n in gold]
        n_pred += len(pred)
        n_gold += len(gold)
        span_tp += len({(s, e) for s, e, _ in gold} & {(s, e) for s, e, _ in pred})
        g_names = Counter(n for _, _, n in gold)
        p_names = Counter(n for _, _, n in pred)
        name_tp += sum((g_names & p_names).values())
        for name, k in (g_names - p_names).items():
            surf = next(ex.text[s:e] for s, e, n in gold if n == name)
            misses.append(f"{ex.id}: {surf!r} -> {name}" + (f" (x{k})" if k > 1 else ""))
        for name, k in (p_names - g_names).items():
            surf = next(ex.text[s:e] for s, e, n in pred if n == name)
            false_hits.append(f"{ex.id}: {surf!r} -> {name}" + (f" (x{k})" if k > 1 else ""))
    return {
        "documents": len(examples),
        "exact_span": _prf(span_tp, n_pred, n_gold),
        "canonical_name": _prf(name_tp, n_pred, n_gold),
        "misses": misses,
        "false_hits": false_hits,
    }


@dataclass(frozen=True)
class ConllOrg:
    sentence: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.sentence[self.start : self.end]


@dataclass(frozen=True)
class ConllSentence:
    text: str
    # (start, end, type) of each entity: "ORG", "PER", "LOC", ...
    entities: tuple[tuple[int, int, str], ...]


def read_conll_sentences(path: str | Path) -> list[ConllSentence]:
    """Sentences of a CoNLL file (token, ..., BIO tag), rebuilt by joining tokens with spaces, with the
    character spans of their entities.

    Raises :class:`PilahError` (code ``io_error``) when the file cannot be read and :class:`DataError`
    (code ``invalid_conll``) at the first line that is not "token ... tag", so that a file of another kind
    is refused instead of scoring as zero entities.
    """
    out: list[ConllSentence] = []
    tokens: list[tuple[str, str]] = []

    def flush() -> None:
        if not tokens:
            return
        sentence = " ".join(t for t, _ in tokens)
        entities: list[tuple[int, int, str]] = []
        pos = 0
        current: list[Any] | None = None  # [start, end, type]
        for tok, tag in tokens:
            s, e = pos, pos + len(tok)
            pos = e + 1
            prefix, _, kind = tag.partition("-")
            if prefix in ("I", "E", "L") and current is not None and current[2] == kind:
                current[1] = e  # inside, or the end of, the entity
                if prefix != "I":
                    entities.append((current[0], current[1], current[2]))
                    current = None
                continue
            if current is not None:
                entities.append((current[0], current[1], current[2]))
            current = [s, e, kind] if prefix in ("B", "I", "E", "L", "S", "U") and kind else None
            if current is not None and prefix in ("S", "U", "E", "L"):  # one token, or an end without its start
                entities.append((current[0], current[1], current[2]))
                current = None
        if current is not None:
            entities.append((current[0], current[1], current[2]))
        out.append(ConllSentence(sentence, tuple(entities)))
        tokens.clear()

    try:
        with Path(path).open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                parts = line.split()
                if not parts or parts[0] == "-DOCSTART-":
                    flush()
                    continue
                if line.startswith("#"):
                    continue  # a comment line (CoNLL-U style metadata)
                if len(parts) < 2 or not _BIO_TAG.fullmatch(parts[-1]):
                    raise DataError(
                        f"{path}:{n} is not a CoNLL NER line ({line.strip()[:60]!r}): {_CONLL_HELP}.",
                        code="invalid_conll",
                    )
                tokens.append((parts[0], parts[-1]))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason}); {_CONLL_HELP}.", code="invalid_conll") from exc
    except IsADirectoryError as exc:
        raise PilahError(f"Cannot read {path}: it is a folder; give the CoNLL file itself.", code="io_error") from exc
    except OSError as exc:
        raise PilahError(f"Cannot read {path}: {exc.strerror}. Check the path.", code="io_error") from exc
    flush()
    return out


def read_conll_orgs(path: str | Path) -> list[ConllOrg]:
    """ORG spans of a CoNLL file, each with its sentence."""
    return [ConllOrg(s.text, start, end) for s in read_conll_sentences(path)
            for start, end, kind in s.entities if kind == "ORG"]


def government_org_list() -> set[str]:
    text = resources.files("pilah.corpus").joinpath("eval", "idner_government_orgs.txt").read_text("utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def require_government_orgs(
    sentences: Sequence[ConllSentence], wanted: Iterable[str] | None = None, *, source: str | Path = "the file"
) -> int:
    """The number of ORG spans on the government list; :class:`DataError` (``no_government_orgs``) if none.

    Recall over zero spans would print as 0.000, which reads as a result; refuse it instead.
    """
    names = set(wanted) if wanted is not None else government_org_list()
    orgs = [s.text[a:b] for s in sentences for a, b, kind in s.entities if kind == "ORG"]
    n = sum(1 for o in orgs if o in names)
    if not orgs:
        raise DataError(
            f"{source} has {len(sentences)} sentence(s) but no ORG entity (B-ORG/I-ORG tags); the government "
            "recall is measured on ORG spans. Give a CoNLL NER file with ORG tags, such as idner-news-2k's test.txt.",
            code="no_government_orgs",
        )
    if not n:
        raise DataError(
            f"None of the {len(orgs)} ORG span(s) in {source} is on the government list "
            "(corpus/eval/idner_government_orgs.txt, written for idner-news-2k); add the government bodies of "
            "your data to that list, or use idner-news-2k's test.txt.",
            code="no_government_orgs",
        )
    return n


def evaluate_conll_government(
    path: str | Path, extractor: Any, selected: Iterable[str] | None = None,
    *, sentences: Sequence[ConllSentence] | None = None,
) -> dict[str, Any]:
    """Recall of listed government ORG spans and a precision estimate; ``sentences`` saves re-reading ``path``."""
    wanted = set(selected) if selected is not None else government_org_list()
    if sentences is None:
        sentences = read_conll_sentences(path)
    require_government_orgs(sentences, wanted, source=path)
    found = exact = n = 0
    misses: list[str] = []
    supported = extracted = 0
    unsupported: Counter[str] = Counter()
    for sentence in sentences:
        mentions = extractor.extract(sentence.text)["agencies"]
        for start, end, kind in sentence.entities:
            if kind != "ORG" or sentence.text[start:end] not in wanted:
                continue
            n += 1
            overlap = [m for m in mentions if m["start"] < end and start < m["end"]]
            if overlap:
                found += 1
                exact += any(m["start"] == start and m["end"] == end for m in overlap)
            else:
                misses.append(sentence.text[start:end])
        for m in mentions:
            extracted += 1
            over = [k for s, e, k in sentence.entities if m["start"] < e and s < m["end"]]
            if "ORG" in over:
                supported += 1
            else:
                unsupported[f"{m['text']} [{'/'.join(sorted(set(over))) or 'no entity'}]"] += 1
    return {
        "government_orgs": n,
        "recall_overlap": round(found / n, 4) if n else 0.0,
        "recall_exact": round(exact / n, 4) if n else 0.0,
        "misses": sorted(Counter(misses).items(), key=lambda kv: -kv[1]),
        "sentences": len(sentences),
        "extracted": extracted,
        "precision_org_overlap": round(supported / extracted, 4) if extracted else 0.0,
        "unsupported": sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0])),
    }


def format_agency_report(annotated: dict[str, Any] | None, conll: dict[str, Any] | None, *,
                         show: int = 30) -> str:
    lines: list[str] = []
    if annotated is not None:
        lines += [f"Agency extraction on {annotated['documents']} annotated documents", "",
                  "| scoring | precision | recall | F1 | tp | predicted | gold |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for key in ("exact_span", "canonical_name"):
            m = annotated[key]
            lines.append(f"| {key} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['tp']} | "
                         f"{m['predicted']} | {m['gold']} |")
        lines += ["", f"misses (gold names not produced), first {show} of {len(annotated['misses'])}:"]
        lines += [f"  {m}" for m in annotated["misses"][:show]]
        lines += ["", f"false hits (names produced, not in gold), first {show} of {len(annotated['false_hits'])}:"]
        lines += [f"  {m}" for m in annotated["false_hits"][:show]]
    if conll is not None:
        lines += ["", f"Government organisations in CoNLL data: {conll['government_orgs']}",
                  f"recall (an extracted mention overlaps the span): {conll['recall_overlap']:.3f}",
                  f"recall (exact span): {conll['recall_exact']:.3f}",
                  "missed: " + ", ".join(f"{t} (x{k})" for t, k in conll["misses"]),
                  "",
                  f"Mentions extracted from its {conll['sentences']} sentences: {conll['extracted']}",
                  f"precision estimate (a mention overlaps a gold ORG span): {conll['precision_org_overlap']:.3f}",
                  f"mentions over no ORG span (entity type in brackets), first {show} of "
                  f"{len(conll['unsupported'])}:"]
        lines += [f"  {t} (x{k})" for t, k in conll["unsupported"][:show]]
    return "\n".join(lines) + "\n"
