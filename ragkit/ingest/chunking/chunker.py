"""SentenceChunker: sentences -> units -> packed chunks under every token budget, verified.

Token counting is the cost that matters, so it is batched: all sentences of all texts given to
`split_many` are counted in one call per budget, chunks are packed on the summed estimates, and
all resulting chunks are verified in one more call per budget. Only a text with a chunk whose real
count is over a limit (BPE counts are not additive) is packed again with real counts.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from ragkit.ingest.chunking.budget import TokenBudget, all_fit, content_costs
from ragkit.ingest.chunking.packing import GapPlan, pack
from ragkit.ingest.chunking.units import Units, build_units
from ragkit.text.sentences import split_sentences
from ragkit.types import TextPiece


class Strategy(Protocol):
    name: str

    def plan_many(
        self, texts: Sequence[str], units: Sequence[Units], breaks: Sequence[Sequence[int]], rooms: Sequence[int]
    ) -> list[GapPlan]: ...


class SentenceChunker:
    """Satisfies `ragkit.protocols.Chunker`. budgets[0] is the tiktoken budget (chunk_size): it
    also measures overlap and min_chunk_tokens. Cheap to build; tokenizers load on first split."""

    def __init__(self, strategy: Strategy, budgets: Sequence[TokenBudget], overlap: int = 0):
        if not budgets:
            raise ValueError("a chunker needs at least one token budget")
        self.strategy = strategy
        self.budgets = list(budgets)
        self.overlap = overlap
        self.repacked = 0  # texts whose estimated packing was over a limit and was packed again

    @property
    def name(self) -> str:
        return self.strategy.name

    def split(self, text: str, breaks: Sequence[int] = ()) -> list[TextPiece]:
        """Chunks of `text`; `breaks` are offsets where sections start (preferred cut points)."""
        return self.split_many([text], [breaks])[0]

    def split_many(self, texts: Sequence[str], breaks: Sequence[Sequence[int]] | None = None) -> list[list[TextPiece]]:
        """`split` for many texts at once, with tokens counted in a few batched calls."""
        breaks = breaks if breaks is not None else [()] * len(texts)
        budgets = self.budgets
        rooms = [b.room for b in budgets]
        sentences = [split_sentences(t) for t in texts]
        flat = [t[s:e] for t, spans in zip(texts, sentences) for s, e in spans]
        flat_costs = content_costs(budgets, flat)
        units_list: list[Units] = []
        at = 0
        for text, spans in zip(texts, sentences):
            costs = [row[at : at + len(spans)] for row in flat_costs]
            at += len(spans)
            units_list.append(build_units(text, spans, costs, budgets))
        gap_plans = self.strategy.plan_many(texts, units_list, breaks, rooms)
        plans = [
            (units, plan, pack(units.costs, rooms, units.whole, plan, self.overlap))
            for units, plan in zip(units_list, gap_plans)
        ]
        # Verify every chunk of several units with real counts, in one batch per budget (a chunk
        # of one unit was counted exactly already).
        spans_out = [[(u.spans[a][0], u.spans[b - 1][1]) for a, _, b in chunks] for u, _, chunks in plans]
        check = [(i, s, e) for i, (_, _, chunks) in enumerate(plans) for (a, _, b), (s, e) in zip(chunks, spans_out[i]) if b - a > 1]
        ok = all_fit(budgets, [texts[i][s:e] for i, s, e in check])
        for i in sorted({i for (i, _, _), good in zip(check, ok) if not good}):
            units, plan, _ = plans[i]
            spans_out[i] = self._repack(texts[i], units, plan, rooms)
            self.repacked += 1
        return [[TextPiece(s, e, t[s:e]) for s, e in spans] for t, spans in zip(texts, spans_out)]

    def _repack(self, text: str, units: Units, plan: GapPlan, rooms: list[int]) -> list[tuple[int, int]]:
        """Pack again, checking each candidate chunk with real counts as it is built."""

        def fits(a: int, b: int) -> bool:
            return all_fit(self.budgets, [text[units.spans[a][0] : units.spans[b - 1][1]]])[0]

        chunks = pack(units.costs, rooms, units.whole, plan, self.overlap, fits=fits)
        return [(units.spans[a][0], units.spans[b - 1][1]) for a, _, b in chunks]
