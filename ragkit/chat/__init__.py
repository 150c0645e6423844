"""Conversations: sessions on SQLite, history within a token budget, follow-up condensation
(offline by default, or the small LLM route guarded), on the straight `ask` pipeline.
See docs/guides/conversations.md."""

from ragkit.chat.chat import ChatAnswer, Condensation
from ragkit.chat.condense import Condensed, HistoryTurn, OfflineCondenser

__all__ = ["ChatAnswer", "Condensation", "Condensed", "HistoryTurn", "OfflineCondenser"]
