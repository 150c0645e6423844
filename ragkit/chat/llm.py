"""The LLM condenser: a condense prompt on the small route (ledger stage `condense`, exact-cached by
the gateway), asked only when the offline test finds a reference to the history (a question that
stands alone is left unchanged, with no call), and guarded: a rewrite that drops a content word of the question, or is empty or runs
long, is refused and the offline rewrite is used instead (and the reason kept)."""

from __future__ import annotations

from typing import Sequence

from ragkit.chat.condense import Condensed, HistoryTurn, OfflineCondenser, keeps_content_words
from ragkit.types import Message

CONDENSE_VERSION = "condense-v1"
SYSTEM = (
    "You rewrite the last question of a conversation so that it can be understood without the "
    "conversation. Replace pronouns and references with what they refer to, add what an elliptical "
    "question leaves out, keep every word of the question that carries meaning, and do not answer it. "
    "If it already stands alone, return it unchanged. Reply with the rewritten question only."
)


def condense_messages(question: str, history: Sequence[HistoryTurn], answer_chars: int = 600) -> tuple[Message, ...]:
    lines = []
    for h in history:
        lines.append(f"User: {h.question}")
        if h.answer:
            a = h.answer if len(h.answer) <= answer_chars else h.answer[:answer_chars] + " ..."
            lines.append(f"Assistant: {a}")
    convo = "\n".join(lines)
    return (Message("system", SYSTEM),
            Message("user", f"Conversation:\n{convo}\n\nLast question: {question}\n\nStandalone question:"))


class LLMCondenser:
    method = "llm"

    def __init__(self, gateway, *, route: str = "small", fallback: OfflineCondenser | None = None,
                 max_ratio: float = 4.0):
        self.gateway = gateway
        self.route = route
        self.fallback = fallback or OfflineCondenser()
        self.max_ratio = max_ratio
        self.last_generation = None

    def condense(self, question: str, history: Sequence[HistoryTurn], *, query_id: str | None = None) -> Condensed:
        self.last_generation = None
        history = [h for h in history if h.asked.strip()]
        if not history:
            return Condensed(question, question, "unchanged", "the first turn")
        if self.fallback.stands_alone(question):  # no call, no cost: it is left as asked
            return Condensed(question, question, "unchanged", "the question stands alone")
        gen = self.gateway.complete(condense_messages(question, history), route=self.route, query_id=query_id,
                                    stage="condense", template_version=CONDENSE_VERSION)
        self.last_generation = gen
        text = " ".join(gen.completion.text.strip().strip('"').split())
        if text.lower().startswith("standalone question:"):
            text = text.split(":", 1)[1].strip()
        method = "llm-cache" if gen.cache_hit else "llm"
        ok, missing = keeps_content_words(question, text)
        why = None
        if not text:
            why = "the rewrite was empty"
        elif not ok:
            why = "the rewrite dropped the question's own word(s): " + ", ".join(missing)
        elif len(text) > self.max_ratio * max(len(question), 40):
            why = "the rewrite was too long"
        if why:
            off = self.fallback.condense(question, history)
            return Condensed(question, off.standalone, "guard", f"{why}; used the offline rewrite")
        if text == question:
            return Condensed(question, question, "unchanged", "the model left it unchanged")
        return Condensed(question, text, method, "")
