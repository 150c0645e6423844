"""Support of a claim by a passage: the score citation verification (verify.py) checks.

Support score (0..1) of a claim against a passage:
  lexical  = share of the claim's content words (Snowball stems; a shared 6-letter prefix counts
             0.8) found in the best window of up to 3 consecutive sentences of the passage (the
             chunk's title counts as part of every window);
  embedding (optional) = best cosine between the claim and a passage sentence or the passage,
             rescaled from [EMB_LO, EMB_HI] to [0, 1];
  score    = lexical, or LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * embedding.
Hard failures, whatever the score: a number in the claim that the passage does not contain, a
capitalised name the passage does not contain, or more negation cues (not, no, never, n't, ...)
in the claim than in the passage window that supports it best. Sentences of the passage that read
as instructions to the model (see injection.py) are not evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ragkit.answer.injection import split_instructions
from ragkit.answer.text import (
    NEGATIONS,
    Sentence,
    claim_numbers,
    code_spans,
    content_stems,
    coverage,
    names,
    negation_count,
    number_forms,
    stem_words,
    words,
)
from ragkit.answer.types import SupportResult

EmbedFn = Callable[[list[str]], np.ndarray]

WINDOW = 3
LEXICAL_WEIGHT = 0.6
EMB_LO = 0.4
EMB_HI = 0.9
RELEVANT = 0.3  # a window sentence with this share of the claim's content words speaks to it (negation check)


@dataclass(frozen=True)
class Evidence:
    """A passage prepared for support checks (instruction-like sentences removed)."""

    text: str
    sentences: tuple[Sentence, ...]
    stems: tuple[frozenset[str], ...]
    title_stems: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    negations: tuple[int, ...] = ()  # negation cues per sentence
    literal: str = ""  # body and title, lowercased, whitespace collapsed: where code spans must appear
    title: str = ""


def prepare_evidence(passage: str, title: str | None = None, split: Sequence[tuple[Sentence, bool]] | None = None
                     ) -> Evidence:
    """`passage` as evidence; `split` is its `split_instructions`, when already computed."""
    split = split_instructions(passage) if split is None else split
    sents = tuple(s for s, instruction in split if not instruction)
    body = " ".join(s.text for s in sents)
    extra = title or ""
    return Evidence(
        text=body,
        sentences=sents,
        stems=tuple(frozenset(content_stems(s.text)) for s in sents),
        title_stems=frozenset(content_stems(extra)),
        words=frozenset(w.lower() for w in words(body + " " + extra)),
        numbers=frozenset(number_forms(body + " " + extra)),
        negations=tuple(negation_count(s.text) for s in sents),
        literal=_literal(body + " " + extra),
        title=extra,
    )


def _literal(text: str) -> str:
    return " ".join(text.lower().split())


def _missing_names(claim: str, ev: Evidence) -> tuple[str, ...]:
    missing = []
    all_stems = set(ev.title_stems).union(*ev.stems) if ev.stems else set(ev.title_stems)
    for n in dict.fromkeys(names(claim)):
        if n in ev.words or stem_words([n])[0] in all_stems:
            continue
        missing.append(n)
    for code in dict.fromkeys(code_spans(claim)):
        if _literal(code) not in ev.literal:
            missing.append(f"`{code}`")
    return tuple(missing)


def _missing_numbers(claim: str, numbers: frozenset[str] | set[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(raw for raw, forms in claim_numbers(claim) if not (forms & numbers)))


def _window_numbers(ev: Evidence, covs: list[float], best: float) -> set[str]:
    """Numbers of the windows tied for best support (and the title): a number the claim states
    must be where its words are, not anywhere in the chunk."""
    idx = {j for i, c in enumerate(covs) if c >= best - 1e-9 for j in range(i, min(i + WINDOW, len(ev.sentences)))}
    return number_forms(" ".join(ev.sentences[j].text for j in sorted(idx)) + " " + ev.title)


def support_against(
    claim: str,
    ev: Evidence,
    *,
    claim_vec: np.ndarray | None = None,
    sentence_vecs: np.ndarray | None = None,
    passage_vec: np.ndarray | None = None,
    numbers_anywhere: bool = False,
) -> SupportResult:
    """Support of `claim` by prepared evidence; vectors (L2-normalized) switch on the embedding
    part: `sentence_vecs` rows align with `ev.sentences`. A number of the claim must be in the
    best-supporting window, or anywhere in the passage with `numbers_anywhere` (several chunks
    joined)."""
    c_stems = list(dict.fromkeys(content_stems(claim)))
    if not ev.sentences:
        return SupportResult(0.0, 0.0, None, _missing_numbers(claim, ev.numbers), _missing_names(claim, ev), "", 0, 0)
    per_sentence = [coverage(c_stems, st | ev.title_stems) for st in ev.stems]
    covs = [coverage(c_stems, set(ev.title_stems).union(*ev.stems[i:i + WINDOW])) for i in range(len(ev.sentences))]
    lexical = max(covs)
    sims = None
    emb = None
    if claim_vec is not None and sentence_vecs is not None and len(sentence_vecs):
        sims = sentence_vecs @ claim_vec
        best = float(np.max(sims))
        if passage_vec is not None:
            best = max(best, float(passage_vec @ claim_vec))
        emb = float(np.clip((best - EMB_LO) / (EMB_HI - EMB_LO), 0.0, 1.0))
    score = lexical if emb is None else LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * emb
    rank_key = [per_sentence[i] + (0.5 * float(sims[i]) if sims is not None else 0.0) for i in range(len(per_sentence))]
    q = int(np.argmax(rank_key))
    quote = ev.sentences[q]
    return SupportResult(
        score=round(float(score), 6),
        lexical=round(float(lexical), 6),
        embedding=None if emb is None else round(emb, 6),
        missing_numbers=_missing_numbers(claim, ev.numbers if numbers_anywhere else _window_numbers(ev, covs, lexical)),
        missing_names=_missing_names(claim, ev),
        quote=quote.text,
        quote_start=quote.start,
        quote_end=quote.end,
        negation=_negation_mismatch(claim, c_stems, ev, covs, lexical),
    )


def _negation_mismatch(claim: str, c_stems: list[str], ev: Evidence, covs: list[float], best: float) -> str | None:
    """A claim with more negation cues than the passage window that supports it best (of the
    windows tied for best, the one with the most cues; only the window's sentences that share at least
    RELEVANT of the claim's content words count): "X is not Y" cited to "X is Y". The
    reverse (a negation dropped) is not judged: a claim may quote the positive half of a sentence."""
    n = negation_count(claim)
    if not n or not ev.negations:
        return None
    have = max(sum(ev.negations[j] for j in range(i, min(i + WINDOW, len(ev.negations)))
                   if coverage(c_stems, ev.stems[j] | ev.title_stems) >= RELEVANT)
               for i, c in enumerate(covs) if c >= best - 1e-9)
    if n <= have:
        return None
    cues = [w for w in words(claim) if w.lower() in NEGATIONS or w.lower().replace("’", "'").endswith("n't")]
    return "negation not in the source: " + ", ".join(dict.fromkeys(c.lower() for c in cues))


def support_score(claim: str, passage: str, *, title: str | None = None, embed: EmbedFn | None = None,
                  numbers_anywhere: bool = False) -> SupportResult:
    """Support of one claim by one passage (see the module docstring)."""
    ev = prepare_evidence(passage, title)
    if embed is None or not ev.sentences:
        return support_against(claim, ev, numbers_anywhere=numbers_anywhere)
    vecs = np.asarray(embed([claim, ev.text, *[s.text for s in ev.sentences]]), dtype=np.float32)
    return support_against(claim, ev, claim_vec=vecs[0], passage_vec=vecs[1], sentence_vecs=vecs[2:],
                           numbers_anywhere=numbers_anywhere)


def embedding_can_change(lexical: float, min_support: float) -> bool:
    """Whether some embedding part in [0, 1] puts the mixed score on the other side of
    `min_support` from another: LEXICAL_WEIGHT * lexical < min_support <= that + (1 - LEXICAL_WEIGHT)."""
    low = LEXICAL_WEIGHT * lexical
    return low < min_support <= low + (1 - LEXICAL_WEIGHT)
