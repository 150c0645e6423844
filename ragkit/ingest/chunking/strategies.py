"""The three chunking strategies, each a small class that says where a text prefers to be cut.

All three pack whole sentences under the same token budgets (see `packing.pack`); they differ
only in which gap they cut at:

- `fixed_size`: the last sentence gap that fits (greedy), overlap after every cut.
- `recursive`: the strongest structural gap that fits (heading > blank line > newline >
  sentence), as LangChain's recursive splitter does with its separators, except that a cut must
  leave `min_chunk_tokens` before it (LangChain would emit e.g. a title alone); overlap after
  every cut.
- `semantic`: topic shifts found by lexical cohesion (`cohesion.py`). A chunk ends at a detected
  topic boundary once both sides hold `min_chunk_tokens`; when a chunk is full it is cut at the
  deepest cohesion valley inside it that leaves `min_chunk_tokens` on both sides. Overlap only
  after cuts that are not topic boundaries.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

from ragkit.ingest.chunking.cohesion import (
    batch_gap_similarities,
    boundaries,
    depth_scores,
    make_stemmer,
    sentence_terms,
)
from ragkit.ingest.chunking.packing import NEVER, GapPlan
from ragkit.ingest.chunking.units import Units
from ragkit.text.sentences import gap_levels

_HEADING = re.compile(r"#{1,6}\s")
HEADING_SCORE = 1e6  # a section start outranks any cohesion valley
PARAGRAPH_BONUS = 0.1  # semantic: between two equally deep valleys, prefer the paragraph break


def section_starts(text: str, sentences: list[tuple[int, int]], breaks: Sequence[int]) -> set[int]:
    """Indices of sentences that begin a section: Markdown headings, and the first sentence at or
    after each offset in `breaks` (section starts the loader found, e.g. HTML h1-h3)."""
    out = {i for i, (s, _) in enumerate(sentences) if _HEADING.match(text, s)}
    if breaks:
        starts = [s for s, _ in sentences]
        for b in breaks:
            i = bisect.bisect_left(starts, b)
            if i < len(starts):
                out.add(i)
    out.discard(0)
    return out


def _to_units(units: Units, sent_score, sent_vol, sent_overlap, greedy: bool, min_tokens: int) -> GapPlan:
    n = len(units)
    score, vol, ovl = [NEVER] * n, [False] * n, [False] * n
    for u in range(1, n):
        if units.starts_sentence(u):
            si = units.sentence[u]
            score[u], vol[u], ovl[u] = sent_score[si], sent_vol[si], sent_overlap[si]
    return GapPlan(score, vol, ovl, greedy=greedy, min_tokens=min_tokens)


class _PerText:
    """Strategies whose plan needs nothing shared between texts."""

    def plan_many(self, texts, units_list, breaks_list, rooms) -> list[GapPlan]:
        return [self.plan(t, u, b, rooms) for t, u, b in zip(texts, units_list, breaks_list)]


class FixedSizeStrategy(_PerText):
    name = "fixed_size"

    def plan(self, text: str, units: Units, breaks: Sequence[int], rooms: Sequence[int]) -> GapPlan:
        m = len(units.sentences)
        return _to_units(units, [0.0] * m, [False] * m, [True] * m, greedy=True, min_tokens=0)


class RecursiveStrategy(_PerText):
    name = "recursive"

    def __init__(self, min_tokens: int = 0):
        self.min_tokens = min_tokens  # a structural cut must leave at least this much before it

    def plan(self, text: str, units: Units, breaks: Sequence[int], rooms: Sequence[int]) -> GapPlan:
        m = len(units.sentences)
        levels = [float(v) for v in gap_levels(text, units.sentences)]
        for i in section_starts(text, units.sentences, breaks):
            levels[i] = 3.0
        return _to_units(units, levels, [False] * m, [True] * m, greedy=False, min_tokens=self.min_tokens)


class SemanticStrategy:
    name = "semantic"

    def __init__(self, window: int = 3, min_tokens: int = 64, voluntary: bool = True, cutoff_k: float = 0.5):
        self.window = window
        self.min_tokens = min_tokens
        self.voluntary = voluntary  # False: cut only when full, at the deepest valley
        self.cutoff_k = cutoff_k  # a valley is a boundary when deeper than mean - k * std
        self._stemmer = None

    def plan(self, text: str, units: Units, breaks: Sequence[int], rooms: Sequence[int]) -> GapPlan:
        return self.plan_many([text], [units], [breaks], rooms)[0]

    def plan_many(self, texts, units_list, breaks_list, rooms) -> list[GapPlan]:
        """Plans for many texts; the cohesion of all of them is computed in one batch."""
        need = [i for i, u in enumerate(units_list) if self._needs_cohesion(u, rooms)]
        sims_of: dict[int, object] = {}
        if need:
            if self._stemmer is None:
                self._stemmer = make_stemmer()
            docs = [[texts[i][s:e] for s, e in units_list[i].sentences] for i in need]
            terms = sentence_terms(docs, self._stemmer, {})
            sims_of = dict(zip(need, batch_gap_similarities(terms, self.window)))
        plans = []
        for i, (text, units, breaks) in enumerate(zip(texts, units_list, breaks_list)):
            sents = units.sentences
            m = len(sents)
            score, vol, ovl = [0.0] * m, [False] * m, [True] * m
            if i in sims_of:
                sims = sims_of[i]
                depths = depth_scores(sims)
                cuts = boundaries(sims, depths, self.cutoff_k)
                levels = gap_levels(text, sents)
                for j in range(1, m):
                    score[j] = float(depths[j - 1]) + (PARAGRAPH_BONUS if levels[j] == 2 else 0.0)
                    vol[j] = bool(cuts[j - 1]) and self.voluntary
                for j in section_starts(text, sents, breaks):
                    score[j], vol[j] = HEADING_SCORE, True
                ovl = [not v for v in vol]
            plans.append(_to_units(units, score, vol, ovl, greedy=False, min_tokens=self.min_tokens))
        return plans

    def _needs_cohesion(self, units: Units, rooms: Sequence[int]) -> bool:
        """Only a text that must be cut, or may be cut voluntarily, needs the cohesion curve."""
        if len(units.sentences) < 2:
            return False
        fits_whole = all(sum(row) <= room for row, room in zip(units.costs, rooms))
        could_cut = self.voluntary and sum(units.costs[0]) >= 2 * self.min_tokens
        return could_cut or not fits_whole
