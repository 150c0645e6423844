"""Conversation settings: sessions, the history given to the generator, follow-up condensation.
Owned by ragkit/chat/."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ragkit.config.base import Section


class ChatConfig(Section):
    # auto: the LLM condenser when the small route is an API model, else the offline one
    condenser: Literal["auto", "offline", "llm"] = "auto"
    condense_turns: int = Field(6, ge=0)  # earlier turns the condenser reads (0: none, never condense)
    history_tokens: int = Field(1000, ge=0)  # the generator's share of history (oldest turns dropped first)
    max_history_turns: int = Field(10, ge=0)  # at most this many earlier turns (0: no limit but the tokens)
    retention_days: float | None = Field(30.0, ge=0)  # sessions idle longer are deleted (None or 0: kept)
    path: str | None = None  # the sessions database; default <home>/chat/sessions.sqlite
