"""Packing units: sentences, and the word-boundary pieces of sentences too long for one chunk.

A sentence that alone exceeds a budget is split at word boundaries into pieces that each fit;
a single word that alone exceeds a budget is split at character boundaries. Every unit fits every
budget by itself, and its cost is its real count (minus the budget's overhead), so a chunk of one
unit always fits.

Two rules keep the pieces of a long sentence from leaving fragments no reader would call a chunk
(found on SQuAD: a 1,200-character list of names came out as the title alone, one full piece, and
"European Union Anthony Luzzatto Gardner."): a short unit just before the sentence (a heading, a
title, a label: at most a quarter of the room) is left room in the first piece, so it is packed
with it rather than alone; and the last two pieces share their words about evenly, preferring a
cut after a semicolon, colon or comma near the middle, so no piece is a tail of a few words.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable, Sequence

from ragkit.ingest.chunking.budget import TokenBudget, content_costs
from ragkit.text.sentences import word_spans


@dataclass
class Units:
    """The units of one text. `costs[k][i]` is unit i's content cost under budget k."""

    spans: list[tuple[int, int]]
    costs: list[list[int]]
    sentence: list[int]  # index of the sentence each unit belongs to
    whole: list[bool]  # the unit is a whole sentence (only whole sentences may overlap)
    sentences: list[tuple[int, int]]  # the sentence spans the units came from

    def __len__(self) -> int:
        return len(self.spans)

    def starts_sentence(self, i: int) -> bool:
        return i == 0 or self.sentence[i] != self.sentence[i - 1]


def build_units(
    text: str,
    sentences: list[tuple[int, int]],
    sentence_costs: list[list[int]],
    budgets: Sequence[TokenBudget],
) -> Units:
    """Units for one text from its sentences and their costs (as from `content_costs`)."""
    units = Units([], [[] for _ in budgets], [], [], sentences)
    rooms = [b.room for b in budgets]
    for si, span in enumerate(sentences):
        costs = [row[si] for row in sentence_costs]
        if all(c <= room for c, room in zip(costs, rooms)):
            pieces, piece_costs = [span], [[c] for c in costs]
        else:
            lead = [0] * len(budgets)
            if units.whole and units.whole[-1] and all(row[-1] * 4 <= r for row, r in zip(units.costs, rooms)):
                lead = [row[-1] + 2 for row in units.costs]  # +2: counts are not quite additive
            pieces = split_oversized(text, span, budgets, costs, lead)
            piece_costs = content_costs(budgets, [text[s:e] for s, e in pieces])
        units.spans.extend(pieces)
        for k, row in enumerate(piece_costs):
            units.costs[k].extend(row)
        units.sentence.extend([si] * len(pieces))
        units.whole.extend([len(pieces) == 1] * len(pieces))
    return units


def split_oversized(
    text: str, span: tuple[int, int], budgets: Sequence[TokenBudget], costs: Sequence[int],
    lead: Sequence[int] = (),
) -> list[tuple[int, int]]:
    """Split one over-long sentence into pieces that each fit every budget: each piece is the
    longest run of whole words that fits (the first leaving `lead[k]` tokens of budget k free for
    the unit before it, unless that would cut its first word, which then gets the whole room); a word that alone does not fit is cut at the longest run of characters
    that fits. Found with real counts, starting from a guess made from the sentence's own
    characters per token (`costs`: its cost under each budget). The last two pieces are then
    balanced (module docstring)."""
    start, end = span
    words = word_spans(text, start, end)
    none = [0] * len(budgets)

    def over(a: int, b: int, less: Sequence[int]) -> bool:
        piece = [text[a:b]]
        return any(budget.count(piece)[0] > budget.limit - less[k]  # stops at the first over
                   for k, budget in enumerate(budgets))

    lead = list(lead) or none
    if any(lead) and over(start, words[0][1], lead) and not over(start, words[0][1], none):
        lead = none  # the room left for the unit before would cut a first word that fits a chunk alone

    def fits(a: int, b: int) -> bool:
        return not over(a, b, lead if a == start else none)

    per_token = min(b.room * (end - start) / max(c, 1) for b, c in zip(budgets, costs))
    guess_chars = max(1, int(0.9 * per_token))  # characters a piece may hold, roughly
    word_ends = [e for _, e in words]
    next_start = {e: s for (_, e), (s, _) in zip(words, words[1:])}
    pieces: list[tuple[int, int]] = []
    pos, w = start, 0  # pos: where the next piece starts; w: index of the word holding pos
    while pos < end:
        while word_ends[w] <= pos:
            w += 1
        # How much of the word holding pos fits? Never counts more than about a piece's worth.
        cut = _longest(lambda i: fits(pos, pos + i), 1, word_ends[w] - pos, guess_chars)
        if pos + cut < word_ends[w]:  # one word longer than a chunk: cut it at a character boundary
            pieces.append((pos, pos + cut))
            pos += cut
            continue
        guess = bisect.bisect_right(word_ends, pos + guess_chars) - 1
        k = _longest(lambda i: fits(pos, word_ends[i]), w, len(word_ends) - 1, guess)  # whole words
        pieces.append((pos, word_ends[k]))
        pos = next_start.get(word_ends[k], end)
    return _balance_tail(text, pieces, words, fits)


def _balance_tail(text: str, pieces: list[tuple[int, int]], words: list[tuple[int, int]],
                  fits: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Move the cut between the last two pieces to a word gap near the middle of their span
    (after ';', ':' or ',' when one is within a fifth of the span of the middle), when both
    halves still fit; the greedy pieces otherwise."""
    if len(pieces) < 2:
        return pieces
    (a, _), (_, b) = pieces[-2], pieces[-1]
    mid, window = (a + b) / 2, (b - a) / 5
    gaps = [(e, s2) for (_, e), (s2, _) in zip(words, words[1:]) if a < e and s2 < b and abs(e - mid) <= window]
    if not gaps:
        return pieces
    strength = {";": 3, ":": 3, ",": 2}

    def preference(gap: tuple[int, int]) -> tuple[int, float]:
        return strength.get(text[gap[0] - 1], 0), -abs(gap[0] - mid)

    for e, s2 in sorted(gaps, key=preference, reverse=True)[:4]:
        if fits(a, e) and fits(s2, b):
            return pieces[:-2] + [(a, e), (s2, b)]
    return pieces


def _longest(ok: Callable[[int], bool], lo: int, hi: int, guess: int) -> int:
    """The largest i in [lo, hi] with ok(i), given ok(lo): gallop from `guess` towards the
    answer, then bisect, so a good guess costs a handful of calls. ok should be (nearly)
    monotone; the result always satisfies ok, though a larger one may be missed where it is not."""
    good, bad = lo, hi + 1  # ok(good) holds; bad is the smallest index known to fail (or hi + 1)
    guess = min(max(guess, lo), hi)
    if guess > lo:
        if ok(guess):
            good = guess
        else:
            bad = guess
    step = max(1, (guess - lo) // 16)  # first steps of about 6% of the guess
    if bad == hi + 1:  # the answer is at or above good: gallop up
        while good + step < bad:
            if not ok(good + step):
                bad = good + step
                break
            good, step = good + step, step * 2
    else:  # the answer is below bad: gallop down
        while bad - step > good:
            if ok(bad - step):
                good = bad - step
                break
            bad, step = bad - step, step * 2
    while bad - good > 1:
        mid = (good + bad) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good
