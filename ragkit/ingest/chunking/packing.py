"""Packing units into chunks under several token budgets. Pure: plain lists in, index triples out.

A chunk is a run of units [first, end) where units [first, new) repeat the end of the previous
chunk (overlap: whole sentences only) and [new, end) are new. Costs are estimated as the sum of
unit costs; `fits` may be given to check a chunk with real counts as it is built (token counts
are not additive, so the caller verifies the result and re-packs with `fits` when an estimate was
off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

NEVER = float("-inf")


@dataclass(frozen=True)
class GapPlan:
    """What a strategy says about the gap before each unit (index 0 is unused).

    score: preference for cutting there when a chunk is full (higher is better; NEVER inside a
    sentence). voluntary: cut there even when the chunk is not full, if both sides hold at least
    `min_tokens`. overlap: a chunk starting after this gap repeats the previous sentences.
    greedy: ignore scores and cut at the last gap that fits (plain fixed-size packing).
    """

    score: Sequence[float]
    voluntary: Sequence[bool]
    overlap: Sequence[bool]
    greedy: bool = False
    min_tokens: int = 0


def pack(
    costs: Sequence[Sequence[int]],
    rooms: Sequence[int],
    whole: Sequence[bool],
    plan: GapPlan,
    overlap_tokens: int,
    fits: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, int]]:
    """Chunks as (first, new, end) unit indices. Budget 0 counts tokens for overlap and min_tokens.

    Every unit must fit every room alone. Each chunk holds at least one new unit.
    """
    n = len(whole)
    cums = [_cumsum(row) for row in costs]
    tik = cums[0]

    def est_fits(a: int, b: int) -> bool:
        return all(c[b] - c[a] <= room for c, room in zip(cums, rooms))

    def ok(a: int, b: int) -> bool:
        return est_fits(a, b) and (fits is None or b - a == 1 or fits(a, b))

    chunks: list[tuple[int, int, int]] = []
    first = new = 0
    while new < n:
        while first < new and not ok(first, new + 1):
            first += 1  # give up overlap before giving up content
        end = new + 1
        while end < n:
            if (
                plan.voluntary[end]
                and tik[end] - tik[new] >= plan.min_tokens
                and tik[n] - tik[end] >= plan.min_tokens
            ):
                break
            if ok(first, end + 1):
                end += 1
                continue
            end = end if plan.greedy else _best_cut(plan, tik, n, new, end)
            break
        while fits is not None and end - first > 1 and not fits(first, end):
            if first < new:
                first += 1
            else:
                end -= 1
        chunks.append((first, new, end))
        first = new = end
        if end < n and overlap_tokens > 0 and plan.overlap[end]:
            floor = chunks[-1][0] + 1  # never repeat the whole previous chunk
            while first - 1 >= floor and whole[first - 1] and tik[end] - tik[first - 1] <= overlap_tokens:
                first -= 1
    return chunks


def _best_cut(plan: GapPlan, tik: list[int], n: int, new: int, end: int) -> int:
    """The gap in (new, end] with the highest score, preferring gaps that leave at least
    `min_tokens` on both sides, then either side, then the latest; `end` if none scores."""
    best, best_key = end, None
    for g in range(new + 1, end + 1):
        score = plan.score[g]
        if score == NEVER:
            continue
        before = tik[g] - tik[new] >= plan.min_tokens
        after = tik[n] - tik[g] >= plan.min_tokens
        if not before:
            continue
        key = (after, score, g)
        if best_key is None or key > best_key:
            best, best_key = g, key
    return best


def _cumsum(values: Sequence[int]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out
