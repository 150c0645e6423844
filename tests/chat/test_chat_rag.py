"""RAG.chat end to end on a real index and embedder: a follow-up is condensed and answered like
`ask` (verified citations), stored in the session, streamed with the standalone question first;
history left out for the token budget is said so. With an LLM route (the real OpenAI SDK against the
loopback server): the condense call is its own ledger stage, exact-cached, guarded, and the
generator gets the history as messages. (A plumbing test: the rewrites are scripted.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.answer.events import AnswerFinal
from ragkit.chat import ChatAnswer, Condensation
from ragkit.rag import RAG
from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply

pytestmark = pytest.mark.integration

DOCS = {
    "alpha.md": "# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019 by "
                "the Northwind energy board.\n\n## Safety\n\nOperators of the alpha reactor wear blue badges.",
    "beta.txt": "Beta pump notes. The beta pump moves 12 litres per minute. Its seals are replaced every spring.",
}
NO_PRE_CALL_ABSTENTION = {"abstain_min_evidence": None, "abstain_min_name_overlap": None}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def make_rag(tmp_path, embedder, **over) -> RAG:
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False}, "cache": {"semantic": False},
           "answer": NO_PRE_CALL_ABSTENTION, **over}
    return RAG(cfg, embedder=embedder)


def test_offline_chat_condenses_answers_and_remembers(tmp_path, corpus, embedder_warm):
    with make_rag(tmp_path, embedder_warm, chat={"history_tokens": 40}) as rag:
        rag.ingest([corpus])
        first = rag.chat("s", "What does the alpha reactor run at?")
        assert isinstance(first, ChatAnswer) and first.standalone_question == first.question and first.turn == 1
        second = rag.chat("s", "Who commissioned it?")
        assert second.turn == 2 and second.question == "Who commissioned it?"
        assert second.standalone_question != second.question and "alpha reactor" in second.standalone_question
        assert not second.abstained and "Northwind" in second.text and second.verified
        assert any("condensed the follow-up" in n for n in second.notes)
        assert "condense" in second.latency and second.latency["total"] >= second.latency["condense"]
        d = second.to_dict()
        assert d["standalone_question"] == second.standalone_question and d["session_id"] == "s"
        turns = rag.chat_show("s")
        assert [t.question for t in turns] == ["What does the alpha reactor run at?", "Who commissioned it?"]
        assert turns[1].standalone == second.standalone_question and turns[1].citations
        third = rag.chat("s", "How hot does it run?")  # 40 tokens of history: the oldest turn is left out
        assert any("oldest turn(s) left out" in n for n in third.notes)
        assert [s.session_id for s in rag.chat_list()] == ["s"]
        assert rag.chat_delete("s") == 3 and rag.chat_show("s") == []


def test_chat_stream_sends_the_standalone_question_then_the_ask_events(tmp_path, corpus, embedder_warm):
    with make_rag(tmp_path, embedder_warm) as rag:
        rag.ingest([corpus])
        rag.chat("s", "What does the alpha reactor run at?")
        events = list(rag.chat_stream("s", "Who commissioned it?"))
        assert isinstance(events[0], Condensation) and isinstance(events[-1], AnswerFinal)
        final = events[-1].answer
        assert final.standalone_question == events[0].standalone_question and final.turn == 2
        assert rag.chat_show("s")[-1].answer == final.text


def test_llm_condenser_has_its_own_stage_cache_and_guard(tmp_path, corpus, loopback, fake_keys, embedder_warm):
    route = openai_route(loopback, "gpt-4o-mini")
    answer1 = "The alpha reactor runs at 451 kelvin. [Source: alpha.md]"
    answer2 = "It was commissioned in 2019 by the Northwind energy board. [Source: alpha.md]"
    loopback.script(None, Reply.ok(answer1), Reply.ok("Who commissioned the alpha reactor?"), Reply.ok(answer2))
    with make_rag(tmp_path, embedder_warm, llm={"small": route, "routing": {"mode": "none"}}) as rag:
        rag.ingest([corpus])
        rag.chat("a", "What does the alpha reactor run at?")
        second = rag.chat("a", "Who commissioned it?")
        assert second.standalone_question == "Who commissioned the alpha reactor?"
        assert second.condense["method"] == "llm" and second.verified
        gen = loopback.requests("/chat/completions")[-1].body["messages"]
        wire = json.dumps(gen)
        assert "What does the alpha reactor run at?" in wire and "451 kelvin" in wire  # the history went in
        assert gen[-1]["role"] == "user" and "Who commissioned the alpha reactor?" in gen[-1]["content"]
        stages = [r.stage for r in rag.gateway.ledger.rows() if r.outcome == "ok"]
        assert stages.count("condense") == 1 and stages.count("generate") == 2

        # the same conversation again: the condense call is an exact-cache hit
        before = len(loopback.requests("/chat/completions"))
        rag.chat("b", "What does the alpha reactor run at?")
        again = rag.chat("b", "Who commissioned it?")
        assert again.condense["method"] == "llm-cache" and again.standalone_question == second.standalone_question
        assert len(loopback.requests("/chat/completions")) == before  # answers cached too

        # a rewrite that drops the question's own words is refused: the offline rewrite is used
        loopback.script(None, Reply.ok("What is the temperature?"), Reply.ok(answer2))
        guarded = rag.chat("a", "Who built the safety badges?")
        assert guarded.condense["method"] == "guard" and "dropped" in guarded.condense["reason"]
        assert "safety badges" in guarded.standalone_question

        # a follow-up that stands alone is not sent to the model: no condense call, no cost
        calls = len(loopback.requests("/chat/completions"))
        condensed_rows = [r.stage for r in rag.gateway.ledger.rows()].count("condense")
        loopback.script(None, Reply.ok(answer1))
        alone = rag.chat("a", "What temperature does the alpha reactor run at?")
        assert alone.condense["method"] == "unchanged" and "stands alone" in alone.condense["reason"]
        assert alone.standalone_question == "What temperature does the alpha reactor run at?"
        assert len(loopback.requests("/chat/completions")) == calls + 1  # the answer only
        assert [r.stage for r in rag.gateway.ledger.rows()].count("condense") == condensed_rows
