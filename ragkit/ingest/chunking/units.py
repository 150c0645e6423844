"""Packing units: sentences, and the word-boundary pieces of sentences too long for one chunk.

A sentence that alone exceeds a budget is split at word boundaries into pieces that each fit;
a single word that alone exceeds a budget is split at character boundaries. Every unit fits every
budget by itself, and its cost is its real count (minus the budget's overhead), so a chunk of one
unit always fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ragkit.ingest.chunking.budget import TokenBudget, all_fit, content_costs
from ragkit.ingest.chunking.sentences import word_spans


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
    for si, span in enumerate(sentences):
        costs = [row[si] for row in sentence_costs]
        if all(c <= b.room for c, b in zip(costs, budgets)):
            pieces, piece_costs = [span], [[c] for c in costs]
        else:
            pieces, piece_costs = split_oversized(text, span, budgets)
        units.spans.extend(pieces)
        for k, row in enumerate(piece_costs):
            units.costs[k].extend(row)
        units.sentence.extend([si] * len(pieces))
        units.whole.extend([len(pieces) == 1] * len(pieces))
    return units


def split_oversized(
    text: str, span: tuple[int, int], budgets: Sequence[TokenBudget]
) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Split one over-long sentence into word-boundary pieces that each fit every budget."""
    words = word_spans(text, *span)
    word_costs = content_costs(budgets, [text[s:e] for s, e in words])
    too_long = [i for i in range(len(words)) if any(row[i] > b.room for row, b in zip(word_costs, budgets))]
    if too_long:  # rare: a single "word" over a budget is cut at character boundaries
        split = []
        for i, w in enumerate(words):
            split.extend(_split_word(text, w, budgets) if i in set(too_long) else [w])
        words = split
        word_costs = content_costs(budgets, [text[s:e] for s, e in words])
    cums = [_cumsum(row) for row in word_costs]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and all(c[j + 1] - c[i] <= b.room for c, b in zip(cums, budgets)):
            j += 1
        # Counts are not additive (BPE merges across spaces): verify, and give words back if over.
        while j > i + 1 and not all_fit(budgets, [text[words[i][0] : words[j - 1][1]]])[0]:
            j -= 1
        pieces.append((words[i][0], words[j - 1][1]))
        i = j
    piece_costs = content_costs(budgets, [text[s:e] for s, e in pieces])
    return pieces, piece_costs


def _split_word(text: str, span: tuple[int, int], budgets: Sequence[TokenBudget]) -> list[tuple[int, int]]:
    """A word that alone exceeds a budget, cut at character boundaries into pieces that fit."""
    start, end = span
    out = []
    while start < end:
        lo, hi = 1, end - start  # the longest prefix that fits: lo always fits (one character)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if all_fit(budgets, [text[start : start + mid]])[0]:
                lo = mid
            else:
                hi = mid - 1
        out.append((start, start + lo))
        start += lo
    return out


def _cumsum(values: list[int]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out
