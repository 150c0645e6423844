"""Citation verification: does the chunk a sentence cites support what the sentence says?

Each cited sentence is scored against its chunk by support.py (lexical evidence, optionally
embedding similarity, and the hard failures: a number, a name or a negation the chunk does not
state). Here the embedding part is computed only where it can change the verdict: when
LEXICAL_WEIGHT * lexical already reaches min_support, or stays below it even with a perfect
embedding, the score is the lexical part alone and nothing is embedded (an extractive answer quotes
its chunks, so most of its sentences never embed anything: a new question's verification went from
about 550 ms to a few ms on 2 cores; verdicts unchanged on bench/verification.py). An answer
sentence whose words come mostly from instruction-like sentences of the context ("PWNED") is
unsupported, cited or not.

`verified` (VerifiedAnswer.all_verified) means: at least one claim was checked, every claim is
supported and every citation verifies. A sentence is a claim when it asserts something checkable
(citations.is_claim), when it carries a citation and has a content word ("Blue [Source: a]"), or
when it echoes an injected instruction; an answer with no claim is not verified, and strict mode
abstains on it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

import numpy as np

from ragkit.answer.citations import is_claim, resolve_citation, split_answer
from ragkit.answer.injection import instruction_only_stems, split_instructions
from ragkit.answer.refusal import ABSTAIN_TEXT, is_abstention
from ragkit.answer.support import (  # noqa: F401  (re-exported: the names callers import from here)
    LEXICAL_WEIGHT,
    EmbedFn,
    Evidence,
    embedding_can_change,
    prepare_evidence,
    support_against,
    support_score,
)
from ragkit.answer.text import content_stems, content_words
from ragkit.answer.types import Citation, SentenceCheck, SupportResult, VerifiedAnswer
from ragkit.types import Chunk, ScoredChunk

ECHO_SHARE = 0.5  # an answer sentence with this share of its content stems found only in injected sentences


class _Vectors:
    """Embeddings for one verification call, computed on first need (the texts missing so far in
    one batch) and looked up by text."""

    def __init__(self, embed: EmbedFn):
        self._embed = embed
        self._vecs: dict[str, np.ndarray] = {}

    def many(self, texts: Sequence[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vecs))
        if todo:
            arr = np.asarray(self._embed(todo), dtype=np.float32)
            self._vecs.update((t, arr[i]) for i, t in enumerate(todo))
        return np.stack([self._vecs[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


def verify_answer(
    answer: str,
    chunks: Sequence[Chunk | ScoredChunk],
    *,
    min_support: float = 0.5,
    strict: bool = False,
    embed: EmbedFn | None = None,
) -> VerifiedAnswer:
    """Parse the answer's citations, resolve each to the context `chunks`, and check each cited
    sentence against the chunk(s) it names.

    A citation is verified iff it resolves (source in the context, page right) and its support
    score >= `min_support` with no missing number or name. A claim sentence is supported iff one
    of its citations verifies (or, with several citations, their chunks together support it) and
    it does not echo an instruction-like sentence of the context. Claim sentences with no
    citation are unsupported ("no citation"). `strict` drops unsupported sentences and unverified
    citation markers from `text` and says so in `notes`; with no supported claim left it abstains.
    """
    ctx = [c.chunk if isinstance(c, ScoredChunk) else c for c in chunks]
    if is_abstention(answer):
        return VerifiedAnswer(text=answer.strip() or ABSTAIN_TEXT, original=answer, sentences=(), citations=(),
                              abstained=True, strict=strict, reason="the answer abstains")
    sentences = split_answer(answer)
    splits = {c.chunk_id: split_instructions(c.text) for c in ctx}
    injected_only = instruction_only_stems(splits.values())
    evidence: dict[str, Evidence] = {}
    resolved: list[list[tuple[object, list[Chunk], str | None]]] = []
    for s in sentences:
        row = []
        for ref in s.refs:
            hits, problem = resolve_citation(ref, ctx)
            for c in hits:
                if c.chunk_id not in evidence:
                    evidence[c.chunk_id] = prepare_evidence(c.text, c.title, splits.get(c.chunk_id))
            row.append((ref, hits, problem))
        resolved.append(row)
    vectors = _Vectors(embed) if embed is not None else None

    def check(claim: str, chunk: Chunk) -> SupportResult:
        ev = evidence[chunk.chunk_id]
        lexical = support_against(claim, ev)
        if vectors is None or not ev.sentences or lexical.hard_failure or not embedding_can_change(
                lexical.lexical, min_support):
            return lexical
        vecs = vectors.many([claim, ev.text, *[x.text for x in ev.sentences]])
        return support_against(claim, ev, claim_vec=vecs[0], passage_vec=vecs[1], sentence_vecs=vecs[2:])

    checks: list[SentenceCheck] = []
    for s, row in zip(sentences, resolved):
        echo = _echoed(s.claim, injected_only)
        claimish = bool(echo) or is_claim(s.claim) or (bool(s.refs) and bool(content_words(s.claim)))
        cits: list[Citation] = []
        for ref, hits, problem in row:
            cits.append(_cite(ref, hits, problem, s.claim, s.index, check, min_support))
        if len(cits) > 1 and not any(c.verified for c in cits):
            cits = _joint(s.claim, row, cits, evidence, min_support)
        supported = not echo and ((not claimish) or any(c.verified for c in cits))
        reason = None
        if echo:
            reason = ("repeats an instruction-like sentence of the context (words found only there: "
                      + ", ".join(echo) + ")")
        elif not supported:
            reason = "no citation" if not cits else "; ".join(c.reason or "" for c in cits if not c.verified)
        best = max((c.support for c in cits), default=0.0)
        checks.append(SentenceCheck(s.index, s.text, s.claim, claimish, supported, best, tuple(cits), reason))
    citations = tuple(c for ch in checks for c in ch.citations)
    if not strict:
        v = VerifiedAnswer(answer, answer, tuple(checks), citations, strict=False)
        return replace(v, reason=_unverified_reason(v))
    return _strict(answer, sentences, checks, citations)


def _echoed(claim: str, injected_only: frozenset[str]) -> tuple[str, ...]:
    """The claim's words found only in instruction-like sentences of the context, when they make
    up at least ECHO_SHARE of its content words (else ())."""
    if not injected_only:
        return ()
    stems = list(dict.fromkeys(content_stems(claim)))
    echo = [t for t in stems if t in injected_only]
    return tuple(echo) if stems and len(echo) / len(stems) >= ECHO_SHARE else ()


def _unverified_reason(v: VerifiedAnswer) -> str | None:
    if v.all_verified:
        return None
    if v.abstained:
        return "the answer abstains"
    if not v.claims:
        return "the answer makes no claim that its sources could support"
    bad = [s for s in v.claims if not s.supported]
    if bad:
        return f"{len(bad)} of {len(v.claims)} claim sentence(s) unsupported: {bad[0].reason}"
    return "a citation did not verify"


def _cite(ref, hits: list[Chunk], problem: str | None, claim: str, index: int, check, min_support: float) -> Citation:
    if not hits:
        return Citation(ref.source, ref.page, None, None, None, "", 0.0, False, problem, index, ref.raw)
    results = [(check(claim, c), c) for c in hits]
    res, chunk = max(results, key=lambda rc: (rc[0].hard_failure is None, rc[0].score))
    reason = problem or res.hard_failure
    if reason is None and res.score < min_support:
        reason = f"support {res.score:.2f} is below min_support {min_support:.2f}: the source does not say this"
    return Citation(
        source=chunk.source, page=ref.page if ref.page is not None else chunk.page, chunk_id=chunk.chunk_id,
        start=chunk.start + res.quote_start, end=chunk.start + res.quote_end, quote=res.quote,
        support=res.score, verified=reason is None, reason=reason, sentence_index=index, raw=ref.raw,
    )


def _joint(claim: str, row, cits: list[Citation], evidence: dict[str, Evidence], min_support: float) -> list[Citation]:
    """Several citations on one sentence, none enough alone: do their chunks support it together?"""
    chunks = [c for (ref, hits, problem) in row if problem is None for c in hits]
    if len(chunks) < 2:
        return cits
    text = " ".join(c.text for c in chunks)
    res = support_score(claim, text, title=" ".join(c.title or "" for c in chunks), numbers_anywhere=True)
    if res.hard_failure or res.score < min_support:
        return cits
    ok_ids = {c.chunk_id for c in chunks}
    return [
        replace(c, verified=True, reason=None, support=max(c.support, res.score)) if c.chunk_id in ok_ids else c
        for c in cits
    ]


def _strict(answer: str, sentences, checks: list[SentenceCheck], citations) -> VerifiedAnswer:
    cut: list[tuple[int, int]] = []
    dropped: list[int] = []
    new_checks = []
    removed: list[int] = []
    removed_markers = 0
    pos = 0  # index of this sentence's first citation in `citations`
    for s, ch in zip(sentences, checks):
        first, pos = pos, pos + len(ch.citations)
        if ch.is_claim and not ch.supported:
            cut.append((s.start, s.end))
            dropped.append(s.index)
            new_checks.append(replace(ch, dropped=True))
            continue
        brackets: dict[tuple[int, int], bool] = {}
        for c, ref in zip(ch.citations, s.refs):  # a bracket goes only when all its refs failed
            key = (ref.start, ref.end)
            brackets[key] = brackets.get(key, False) or c.verified
        bad = [span for span, any_ok in brackets.items() if not any_ok]
        removed += [first + i for i, ref in enumerate(s.refs) if (ref.start, ref.end) in bad]
        cut.extend(bad)
        removed_markers += len(bad)
        new_checks.append(ch)
    text = _cut(answer, cut)
    notes = []
    if dropped:
        notes.append(f"strict: dropped {len(dropped)} sentence(s) whose citations did not verify")
    if removed_markers:
        notes.append(f"strict: removed {removed_markers} citation(s) that did not verify")
    abstained, reason = False, None
    if not any(ch.is_claim and not ch.dropped for ch in new_checks):
        text, abstained = ABSTAIN_TEXT, True
        reason = ("strict: no supported claim remained, so the answer abstains" if dropped else
                  "strict: the answer makes no claim that its sources could support, so it abstains")
        notes.append(reason)
    v = VerifiedAnswer(text, answer, tuple(new_checks), citations, abstained, True, tuple(dropped), tuple(notes),
                       tuple(removed))
    return replace(v, reason=reason or _unverified_reason(v))


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    out, prev = [], 0
    for s, e in sorted(set(spans)):
        if s < prev:
            s = prev
        if e <= s:
            continue
        out.append(text[prev:s])
        prev = e
    out.append(text[prev:])
    joined = "".join(out)
    joined = re.sub(r"[ \t]+", " ", joined)
    joined = re.sub(r"[ \t]+([.,;:!?])", r"\1", joined)
    joined = re.sub(r"\n[ \t]*(?=\n)", "\n", joined)
    joined = re.sub(r"\n{3,}", "\n\n", joined)
    return joined.strip()
