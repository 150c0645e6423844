"""Earlier turns: as the condenser sees them (HistoryTurn), and the history given to the
generator (the most recent turns that fit a token budget, oldest dropped first, and said so)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ragkit.chat.sessions import Turn


@dataclass(frozen=True)
class HistoryTurn:
    """An earlier turn as the condenser sees it: the question asked, the stand-alone question it
    was answered with, and the answer shown (empty when it abstained)."""

    question: str
    answer: str = ""
    standalone: str = ""

    @property
    def asked(self) -> str:
        return self.standalone or self.question


def history_within(turns: Sequence[Turn], budget_tokens: int, count: Callable[[str], int],
                   max_turns: int | None = None) -> tuple[list[Turn], int]:
    """(the newest turns whose question + answer fit `budget_tokens`, in order; how many older ones
    were dropped). A turn never fits partly: it is kept whole or dropped."""
    kept: list[Turn] = []
    used = 0
    pool = list(turns)[-max_turns:] if max_turns else list(turns)
    for t in reversed(pool):
        cost = count(t.question) + count(t.answer) + 8  # role markers
        if used + cost > budget_tokens:
            break
        kept.append(t)
        used += cost
    kept.reverse()
    return kept, len(turns) - len(kept)
