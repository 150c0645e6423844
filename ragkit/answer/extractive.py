"""The offline generator: an answer made of the sentences of the reranked chunks that best answer
the question, each followed by its citation. Deterministic, free, no model call.

Each candidate sentence is scored against the question:
  overlap   IDF-weighted share of the question's content stems in the sentence (IDF over the
            candidate sentences, so words every sentence shares count little), plus a bonus for
            question bigrams found in order;
  type cue  a number for "how many/much", a year or month for "when/what year", a name not in
            the question for "who/where";
  context   a question word found only in the sentence's context counts SECTION_WEIGHT: the
            heading it stands under (the last heading line of the chunk before it, else the
            chunk's section or document title), and for a list item the paragraph that leads into
            the list; a clause that points elsewhere ("; see the deployment notes for ...") counts
            for nothing, since it names a topic without saying anything about it;
  novelty   a sentence that only restates the question is pushed down;
  prior     the chunk's retrieval rank; long sentences pay a little;
  embedding cosine with the question (optional `embed`).
The best sentence leads; up to `max_sentences - 1` more follow, best first, if they score close
to it and are not redundant. Sentences that read as instructions to the model (injection.py:
addressed to an AI, or ordering what to answer) are never picked, nor is structure: a span the
splitter marks as a heading, title line, code block, table, rule or front matter
(ragkit.text.sentences), or one that is only the chunk's document title or section heading.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ragkit.answer.context import citation_label
from ragkit.answer.injection import split_instructions
from ragkit.answer.refusal import ABSTAIN_TEXT
from ragkit.answer.text import QUESTION_WORDS, content_stems, names, number_mentions, stems_match
from ragkit.answer.types import ExtractedSentence, ExtractiveResult
from ragkit.text.questions import answer_type as question_type
from ragkit.types import Chunk, ScoredChunk

EmbedFn = Callable[[list[str]], np.ndarray]

RANK_PRIOR = 0.12
TYPE_BONUS = 0.15
BIGRAM_BONUS = 0.05
EMBED_WEIGHT = 0.3
FOLLOW_RATIO = 0.8  # a further sentence needs this share of the best score
OTHER_CHUNK_RATIO = 0.9  # ... and this share when it comes from another chunk than the best
REDUNDANCY = 0.5  # stem Jaccard above which a sentence repeats one already chosen
# A question word found only in the sentence's context (heading, list lead-in) counts this much.
# Measured (bench/structure.py's corpus, 200 other SQuAD questions, seed 1): gold contained 163 at
# 0, 164 at 0.5, 167 at 1.0; on the bundled docs 0.5 and 1.0 both answer the examples, 0 does not.
SECTION_WEIGHT = 0.5

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|century|centuries)\b",
    re.IGNORECASE,
)


_LIST_ITEM = re.compile(r"(?:[-*+•·–]|\d{1,3}[.)])\s")
_PARA_BREAK = re.compile(r"\n[^\S\n]*\n")
_POINTER = re.compile(r"(?:^|[;(,:—–]\s*)(?:see|refer to|cf\.)\s", re.IGNORECASE)


@dataclass(frozen=True)
class _Cand:
    text: str
    chunk: Chunk
    rank_idx: int
    start: int
    end: int
    stems: tuple[str, ...]
    section: tuple[str, ...] = ()  # stems of its context: the heading it stands under, a list item's lead-in


def _candidates(chunks: Sequence[ScoredChunk | Chunk], max_chunks: int) -> list[_Cand]:
    out = []
    for idx, item in enumerate(chunks[:max_chunks]):
        chunk = item.chunk if isinstance(item, ScoredChunk) else item
        labels = _labels(chunk)
        heading = tuple(content_stems(chunk.section or chunk.title or ""))
        para: list[str] = []  # stems of the paragraph so far
        lead: tuple[str, ...] = ()  # stems of the paragraph that introduces the current list
        prev_end, in_list = 0, False
        for s, instruction in split_instructions(chunk.text):
            text = " ".join(s.text.split())
            stems = tuple(content_stems(text))
            item = bool(_LIST_ITEM.match(text))
            if item and not in_list:
                lead = tuple(para)
            elif not item:
                lead = ()
                if _PARA_BREAK.search(chunk.text, prev_end, s.start):
                    para = []
            in_list, prev_end = item, s.end
            if s.kind == "heading":
                heading, para, lead = stems, [], ()
                continue
            if not item:
                para.extend(stems)
            if len(text.split()) < 3 or instruction or s.structural or _label_key(text) in labels:
                continue
            ref = _POINTER.search(text)  # "...; see the deployment notes for scaling out": points, does not say
            own = tuple(content_stems(text[:ref.start()])) if ref else stems
            out.append(_Cand(text, chunk, idx, chunk.start + s.start, chunk.start + s.end, own, heading + lead))
    return out


def _label_key(text: str) -> str:
    return " ".join(text.lstrip("#").split()).casefold()


def _labels(chunk: Chunk) -> set[str]:
    """The chunk's document title and section heading, as `_label_key`s: a sentence that is only
    one of them is structure, whatever its layout (a title that ends with a full stop)."""
    return {_label_key(x) for x in (chunk.title, chunk.section) if x and x.strip()}


def _type_cue(qtype: str, text: str, q_lower: str, q_names: set[str]) -> float:
    if qtype == "number":
        nums = [raw for raw, _ in number_mentions(text) if raw.lower() not in q_lower]
        return TYPE_BONUS if nums else -TYPE_BONUS / 3
    if qtype == "date":
        years = [y for y in _YEAR.findall(text) if y not in q_lower]
        months = [m for m in _MONTH.findall(text) if m.lower() not in q_lower]
        return TYPE_BONUS if (years or months) else -TYPE_BONUS / 3
    if qtype in ("person", "place"):
        new_names = [n for n in names(text) if n not in q_names]
        return TYPE_BONUS * 2 / 3 if new_names else 0.0
    return 0.0


def score_sentences(
    question: str, cands: Sequence[_Cand], embed: EmbedFn | None = None
) -> list[float]:
    """The score of each candidate sentence for `question` (see the module docstring)."""
    if not cands:
        return []
    q_seq = content_stems(question, drop=QUESTION_WORDS) or content_stems(question)
    q_stems = list(dict.fromkeys(q_seq))
    n = len(cands)
    df = {t: sum(1 for c in cands if t in c.stems) for t in q_stems}
    idf = {t: math.log((n + 1) / (df[t] + 0.5)) + 1.0 for t in q_stems}
    total = sum(idf.values()) or 1.0
    bigrams = {(a, b) for a, b in zip(q_seq, q_seq[1:])}
    qtype = question_type(question)
    q_lower = question.lower()
    q_names = set(names(question)) | {w.lower() for w in re.findall(r"[^\W_]+", question)}
    q_set = set(q_stems)
    sims = None
    if embed is not None:
        vecs = np.asarray(embed([question, *[c.text for c in cands]]), dtype=np.float32)
        sims = vecs[1:] @ vecs[0]
    scores = []
    for i, c in enumerate(cands):
        st = set(c.stems)
        got = 0.0
        for t in q_stems:
            m = 1.0 if t in st else max((stems_match(t, s) for s in st), default=0.0)
            if m < 1.0 and SECTION_WEIGHT and c.section:
                m = max(m, SECTION_WEIGHT * max(stems_match(t, s) for s in c.section))
            got += idf[t] * m
        overlap = got / total
        pairs = set(zip(c.stems, c.stems[1:]))
        bonus = min(3, len(bigrams & pairs)) * BIGRAM_BONUS
        novelty = len(st - q_set) / max(len(st), 1)
        score = overlap + bonus + _type_cue(qtype, c.text, q_lower, q_names)
        if novelty == 0.0:
            score -= 0.3
        score += RANK_PRIOR / (1 + c.rank_idx)
        n_words = len(c.text.split())
        score -= 0.004 * max(0, n_words - 30)
        if sims is not None:
            score += EMBED_WEIGHT * float(sims[i])
        scores.append(score if overlap > 0 or sims is not None else min(score, 0.0))
    return scores


def extractive_answer(
    question: str,
    chunks: Sequence[ScoredChunk | Chunk],
    max_sentences: int = 3,
    embed: EmbedFn | None = None,
    *,
    max_chunks: int = 5,
) -> ExtractiveResult:
    """An answer built from the best-scoring sentences of the first `max_chunks` chunks (in rank
    order). Abstains (ABSTAIN_TEXT) when no sentence shares a content word with the question."""
    cands = _candidates(chunks, max_chunks)
    scores = score_sentences(question, cands, embed)
    if not cands or max(scores) <= 0.0:
        return ExtractiveResult(ABSTAIN_TEXT, (), abstained=True)
    order = sorted(range(len(cands)), key=lambda i: (-scores[i], cands[i].rank_idx, cands[i].start))
    best = order[0]
    chosen = [best]
    for i in order[1:]:
        if len(chosen) >= max_sentences:
            break
        ratio = OTHER_CHUNK_RATIO if cands[i].chunk.chunk_id != cands[best].chunk.chunk_id else FOLLOW_RATIO
        if scores[i] < ratio * scores[best]:
            break
        if any(_jaccard(cands[i].stems, cands[j].stems) > REDUNDANCY for j in chosen):
            continue
        chosen.append(i)
    # best first: the sentence that answers leads, the supporting ones follow by score
    picked = []
    parts = []
    for i in chosen:
        c = cands[i]
        picked.append(ExtractedSentence(c.text, c.chunk.chunk_id, c.chunk.source, c.chunk.page, c.start, c.end,
                                        round(float(scores[i]), 6), c.rank_idx + 1))
        parts.append(f"{c.text} {citation_label(c.chunk)}")
    return ExtractiveResult(" ".join(parts), tuple(picked))


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


answer = extractive_answer  # the name ragkit.models.llm.extractive_provider's docstring uses
