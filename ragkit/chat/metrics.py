"""Condensation figures (bench/conversation.py and conversation eval suites): the content words a
rewrite adds to the raw question against those the gold rewrite adds."""

from __future__ import annotations

from ragkit.chat.words import content_words, norm, words
from ragkit.text.stem import stem_words


def stemset(text: str) -> set[str]:
    cw = content_words(text)
    return set(stem_words(cw)) if cw else set()


def added_f1(raw: str, rewrite: str, gold: str) -> float:
    """F1 of the (stemmed) content words `rewrite` adds to `raw` against those `gold` adds; 1.0 when
    neither adds any."""
    base = stemset(raw)
    mine, want = stemset(rewrite) - base, stemset(gold) - base
    if not mine and not want:
        return 1.0
    tp = len(mine & want)
    if not tp:
        return 0.0
    p, r = tp / len(mine), tp / len(want)
    return 2 * p * r / (p + r)


def names_added(raw: str, gold: str) -> set[str]:
    """The stems of the capitalized words the gold rewrite adds (its first word only when it is
    capitalized elsewhere too)."""
    base = stemset(raw)
    toks = words(gold)
    out = set()
    for i, w in enumerate(toks):
        n = norm(w)
        if not (w[:1].isupper() and n and n in set(content_words(w))):
            continue
        if i == 0 and not any(t == w for t in toks[1:]):
            continue
        s = stem_words([n])[0]
        if s not in base:
            out.add(s)
    return out
