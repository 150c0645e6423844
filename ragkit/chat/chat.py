"""A chat turn on the straight `ask` pipeline:

    session history -> condense (offline, or the LLM route with its guard) -> `ask` on the standalone
    question, the generator given the history within chat.history_tokens -> the turn stored ->
    `ChatAnswer` (an `Answer` plus the standalone question, session and turn)

Every guarantee of `ask` holds per turn (verified citations, abstention on weak evidence, cost and
latency): the turn *is* an `ask`, on the standalone question. Condensation adds its own latency
(`latency["condense"]`) and, with an LLM route, its own cost (ledger stage `condense`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from ragkit.answer.answer import Answer
from ragkit.answer.events import AnswerFinal
from ragkit.chat.condense import Condensed, HistoryTurn
from ragkit.chat.history import history_within
from ragkit.chat.sessions import SessionStore, Turn
from ragkit.types import GenerationRequest, Message


@dataclass(frozen=True)
class ChatAnswer(Answer):
    standalone_question: str = ""
    session_id: str = ""
    turn: int = 0
    condense: dict[str, Any] = field(default_factory=dict)  # {"method", "reason", "changed"}

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict()


@dataclass(frozen=True)
class Condensation:
    """The first event of `chat_stream`: the standalone question retrieval runs on."""

    standalone_question: str
    method: str
    reason: str = ""


class HistoryGenerator:
    """A generator that gives the model the conversation: the kept turns go in as user/assistant
    messages before the prompt's last (the question with its context). The extractive generator
    reads only the chunks, so offline answers are unchanged."""

    def __init__(self, inner, history: tuple[Message, ...]):
        self.inner = inner
        self.history = history
        self.name = getattr(inner, "name", "")

    def _with_history(self, request: GenerationRequest) -> GenerationRequest:
        if not self.history or not request.messages:
            return request
        msgs = tuple(request.messages)
        return dataclasses.replace(request, messages=msgs[:-1] + self.history + msgs[-1:])

    def generate(self, request):
        return self.inner.generate(self._with_history(request))

    def stream(self, request):
        return self.inner.stream(self._with_history(request))

    def estimate_cost(self, request, completion):
        return self.inner.estimate_cost(self._with_history(request), completion)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def history_turns(turns: list[Turn]) -> list[HistoryTurn]:
    return [HistoryTurn(t.question, "" if t.abstained else t.answer, t.standalone) for t in turns]


class ChatRunner:
    """One turn of a session: `run(...)` is an iterator of a `Condensation` then the ask events."""

    def __init__(self, rag, store: SessionStore, condenser, cfg):
        self.rag = rag
        self.store = store
        self.condenser = condenser
        self.cfg = cfg  # ChatConfig

    def run(self, session_id: str, message: str, *, filters: Mapping[str, Any] | None, top_k: int | None,
            tenant: str | None, stream: bool) -> Iterator:
        from ragkit.answer.ask import ask_stream, run_ask

        t0 = time.perf_counter()
        turns = self.store.turns(session_id, tenant)
        hist = history_turns(turns[-self.cfg.condense_turns:] if self.cfg.condense_turns else [])
        c: Condensed = self.condenser.condense(message, hist)
        condense_s = time.perf_counter() - t0
        yield Condensation(c.standalone, c.method, c.reason)

        kept, dropped = history_within(turns, self.cfg.history_tokens, _count, self.cfg.max_history_turns)
        msgs: list[Message] = []
        for t in kept:
            msgs.append(Message("user", t.question))
            msgs.append(Message("assistant", t.answer))
        deps = self.rag._ask_deps()
        deps.generators = {k: HistoryGenerator(g, tuple(msgs)) for k, g in deps.generators.items()}
        events = ask_stream(deps, c.standalone, filters=filters, top_k=top_k) if stream else \
            run_ask(deps, c.standalone, filters=filters, top_k=top_k, stream=False)
        try:
            for ev in events:
                if isinstance(ev, AnswerFinal):
                    ev = AnswerFinal(self._finish(session_id, message, c, ev.answer, condense_s, dropped, tenant))
                yield ev
        finally:
            close = getattr(events, "close", None)
            if close:
                close()

    def _finish(self, session_id, message, c: Condensed, a: Answer, condense_s: float, dropped: int,
                tenant) -> "ChatAnswer":
        notes = tuple(a.notes)
        if c.changed:
            notes += (f"condensed the follow-up ({c.method}): {c.standalone!r}",)
        elif c.method == "guard":
            notes += (f"condense: {c.reason}",)
        if dropped:
            notes += (f"history: the {dropped} oldest turn(s) left out to fit chat.history_tokens "
                      f"({self.cfg.history_tokens})",)
        latency = dict(a.latency)
        latency["condense"] = condense_s
        latency["total"] = latency.get("total", 0.0) + condense_s
        gen = getattr(self.condenser, "last_generation", None)
        cost, usage = a.cost_usd, a.usage
        if gen is not None:
            cost = None if cost is None or gen.cost_usd is None else cost + gen.cost_usd
            usage = usage + gen.usage
        fields = {f.name: getattr(a, f.name) for f in dataclasses.fields(Answer)}
        fields.update(question=message, notes=notes, latency=latency, cost_usd=cost, usage=usage)
        turn = self.store.add(session_id, Turn(
            0, time.time(), message, c.standalone, c.method, a.text, a.abstained,
            [x.to_dict() for x in a.citations], a.query_id, cost, latency), tenant)
        return ChatAnswer(**fields, standalone_question=c.standalone, session_id=session_id, turn=turn.turn,
                          condense={"method": c.method, "reason": c.reason, "changed": c.changed})


def _count(text: str) -> int:
    from ragkit.models.tokens import count_tokens  # tiktoken, offline

    return count_tokens(text)
