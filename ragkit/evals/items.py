"""Query sets as one list of `EvalItem`s: QA JSONL and BEIR queries + qrels. Sampling is seeded.

QA JSONL, one object per line::

    {"question": "...", "answers": ["gold", ...], "answerable": true, "sources": ["guides/a.md"],
     "tags": ["filter"], "filters": {"source": "a.md"}, "forbidden": ["BANANA"], "id": "q7"}

`answers` are compared with the answer text case-insensitively with whitespace collapsed;
`sources` are the gold source ids (relevance grade 1); `forbidden` are strings the answer must
never contain (an injected instruction it must not follow). Tags with a meaning to the checks:
`adversarial`, `out_of_corpus`, `injection`, `filter`, `in_corpus_unanswerable` (unanswerable
questions about topics the corpus covers: their abstention rate is reported on its own, outside
abstention precision and recall).

A conversation suite is the same file with `"conversation": "c1"` on each turn (the turns of a
conversation in file order) and optionally `"rewrite"`, the gold standalone question: each turn is
played through `RAG.chat` in one session per conversation, retrieval is scored on the standalone
question it produced, the answer checked like any other, and the condensation figures (added-word
F1 against `rewrite`, share of turns condensed) reported (ragkit/chat/).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ragkit.errors import SuiteError
from ragkit.evals.beir import load_qrels, load_queries

SEPARATE_TAG = "in_corpus_unanswerable"


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    answerable: bool = True
    gold: dict[str, int] = field(default_factory=dict, hash=False, compare=False)  # source id -> grade
    tags: tuple[str, ...] = ()
    filters: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    forbidden: tuple[str, ...] = ()
    ask: bool = True  # asked through RAG.ask (BEIR sets ask a sample)
    group: str = ""
    conversation: str = ""  # a turn of this conversation: asked through RAG.chat (in file order)
    rewrite: str = ""  # the gold standalone question of a conversation turn

    def has(self, tag: str) -> bool:
        return tag in self.tags


class QAItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list)
    answerable: bool = True
    sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    filters: dict[str, Any] | None = None
    forbidden: list[str] = Field(default_factory=list)
    id: str | None = None
    conversation: str | None = None
    rewrite: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "QAItem":
        if not self.answerable and (self.answers or self.sources):
            raise ValueError("an unanswerable question has no gold answers or sources")
        return self


def load_qa(path: str | Path) -> list[EvalItem]:
    p = Path(path)
    if not p.is_file():
        raise SuiteError(f"QA file not found: {p}")
    out: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = QAItem.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else None
            msg = f"{'.'.join(map(str, first['loc']))}: {first['msg']}" if first else str(exc)
            raise SuiteError(f"{p}:{lineno}: not a QA line ({msg})") from None
        qid = row.id or f"q{lineno}"
        if qid in seen:
            raise SuiteError(f"{p}:{lineno}: duplicate id {qid!r}")
        seen.add(qid)
        out.append(EvalItem(
            id=qid, question=row.question, answers=tuple(row.answers), answerable=row.answerable,
            gold={s: 1 for s in row.sources}, tags=tuple(row.tags), filters=row.filters,
            forbidden=tuple(row.forbidden), ask=True, group=_group(row.tags, row.answerable),
            conversation=row.conversation or "", rewrite=row.rewrite or "",
        ))
    if not out:
        raise SuiteError(f"{p}: no questions")
    return out


def _group(tags: Sequence[str], answerable: bool) -> str:
    for t in ("injection", "filter", SEPARATE_TAG, "out_of_corpus", "adversarial"):
        if t in tags:
            return t
    return "answerable" if answerable else "unanswerable"


def load_beir(queries: str | Path, qrels: str | Path) -> list[EvalItem]:
    """The queries that have at least one relevant document in the qrels, in qrels order."""
    try:
        rels = load_qrels(qrels)
        texts = load_queries(queries, ids=set(rels))
    except (FileNotFoundError, ValueError) as exc:
        raise SuiteError(str(exc)) from None
    out = []
    for qid, grades in rels.items():
        if qid in texts and any(g > 0 for g in grades.values()):
            out.append(EvalItem(id=qid, question=texts[qid], gold=dict(grades), ask=False, group="beir"))
    if not out:
        raise SuiteError(f"{queries}: no query has a relevant document in {qrels}")
    return out


def sample(items: Sequence[EvalItem], size: int | None, seed: int) -> list[EvalItem]:
    """`size` items drawn with `seed`, kept in their original order; all when size is None."""
    if size is None or size >= len(items):
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), size))
    return [items[i] for i in keep]


def mark_asked(items: Sequence[EvalItem], n: int | None, seed: int) -> list[EvalItem]:
    """BEIR sets: the `n` items (seeded) that are also asked through RAG.ask."""
    chosen = {it.id for it in sample(items, n, seed + 1)} if n != 0 else set()
    return [EvalItem(**{**it.__dict__, "ask": it.id in chosen}) for it in items]
