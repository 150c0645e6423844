"""`RAG.ask_stream` for the three generators (extractive offline; OpenAI and Anthropic through their
real SDKs streaming server-sent events from the loopback server): the same final `Answer` as
`ask`, text deltas that add up to what the generator wrote, each citation once verified, streamed
ledger rows equal to non-streamed ones (cached tokens included), and broken or abandoned streams
that end in one ledger row with the tokens used and a typed error event, never a hang."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ragkit.answer.events import AnswerDelta, AnswerError, AnswerFinal, CitationVerified
from ragkit.rag import RAG
from tests.answer.ask_helpers import write_corpus
from tests.loopback.fixtures import anthropic_route, fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply

pytestmark = pytest.mark.integration

DOCS = {
    "alpha.md": "# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019 by "
                "the Northwind energy board.\n\n## Safety\n\nOperators of the alpha reactor wear blue badges.",
    "beta.txt": "Beta pump notes. The beta pump moves 12 litres per minute. Its seals are replaced every spring.",
}
Q = "At what temperature does the alpha reactor run?"
GOOD = "The alpha reactor runs at 451 kelvin. [Source: alpha.md] Operators wear blue badges. [Source: alpha.md]"
ROUTES = {"openai": (openai_route, "gpt-4o-mini"), "anthropic": (anthropic_route, "claude-haiku-4-5")}
ROW_FIELDS = ("provider", "model", "outcome", "input_tokens", "output_tokens", "cache_read_tokens",
              "cache_write_tokens", "cost_usd", "stage", "route")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path, DOCS)


def make_rag(tmp_path: Path, corpus: Path, route: dict | None) -> RAG:
    llm = {"small": route} if route else {}
    rag = RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}, "cache": {"enabled": False},
               "llm": llm, "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None}})
    rag.ingest([corpus])
    return rag


def comparable(answer) -> dict:
    d = dataclasses.asdict(answer)
    for k in ("query_id", "latency"):
        d.pop(k)
    d["usage"] = answer.usage
    return d


def rows(rag: RAG):
    return [r for r in rag.gateway.ledger.rows() if r.stage == "generate"]


def route_for(name: str, loopback):
    if name == "extractive":
        return None
    make, model = ROUTES[name]
    return make(loopback, model)


@pytest.mark.parametrize("name", ["extractive", "openai", "anthropic"])
def test_ask_and_ask_stream_end_in_the_same_answer(tmp_path, corpus, loopback, fake_keys, embedder_warm, name):
    reply = Reply.ok(GOOD, input_tokens=700, output_tokens=25, cache_read=300)
    loopback.script(None, reply, reply)
    with make_rag(tmp_path, corpus, route_for(name, loopback)) as rag:
        plain = rag.ask(Q)
        events = list(rag.ask_stream(Q))
        ledger = rows(rag)
    deltas = [e for e in events if isinstance(e, AnswerDelta)]
    cited = [e.citation for e in events if isinstance(e, CitationVerified)]
    final = events[-1]
    assert isinstance(final, AnswerFinal) and not any(isinstance(e, AnswerError) for e in events)
    assert comparable(final.answer) == comparable(plain)
    assert not plain.abstained and "451 kelvin" in plain.text and plain.verified
    # streamed in pieces, not one block: the extractive generator a cited sentence at a time
    assert len(deltas) == len(plain.citations) if name == "extractive" else len(deltas) >= 2
    assert cited == list(plain.citations) and len(cited) >= 1
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("CitationVerified") > max(i for i, k in enumerate(kinds) if k == "AnswerDelta")
    if name == "extractive":
        assert "".join(d.text for d in deltas) == plain.text and loopback.seen == []
    else:
        assert "".join(d.text for d in deltas) == GOOD
        assert [s.body.get("stream", False) for s in loopback.seen] == [False, True]
    assert len(ledger) == 2


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_a_streamed_row_equals_the_non_streamed_row_for_the_same_usage(tmp_path, corpus, loopback, fake_keys,
                                                                       embedder_warm, name):
    reply = Reply.ok(GOOD, input_tokens=1200, output_tokens=40, cache_read=1024, cache_write=256)
    loopback.script(None, reply, reply)
    with make_rag(tmp_path, corpus, route_for(name, loopback)) as rag:
        plain = rag.ask(Q)
        streamed = list(rag.ask_stream(Q))[-1].answer
        plain_row, stream_row = rows(rag)
    assert [getattr(plain_row, f) for f in ROW_FIELDS] == [getattr(stream_row, f) for f in ROW_FIELDS]
    assert stream_row.cache_read_tokens == 1024 and stream_row.cost_usd > 0
    if name == "anthropic":
        assert stream_row.cache_write_tokens == 256  # OpenAI has no cache-write field
    assert streamed.usage == plain.usage and streamed.cost_usd == pytest.approx(plain.cost_usd)


@pytest.mark.parametrize("name", ["openai", "anthropic"])
@pytest.mark.parametrize("how", ["drop", "eof", "malformed"])
def test_a_stream_cut_mid_way_ends_in_an_error_event_and_one_row(tmp_path, corpus, loopback, fake_keys,
                                                                  embedder_warm, name, how):
    loopback.script(None, Reply.cut(GOOD, after_deltas=3, how=how, input_tokens=500))
    with make_rag(tmp_path, corpus, route_for(name, loopback)) as rag:
        events = list(rag.ask_stream(Q))
        ledger = rows(rag)
    assert len(loopback.seen) == 1  # a started stream is never retried
    err = events[-1]
    assert isinstance(err, AnswerError) and err.error_type == "StreamInterruptedError"
    assert not any(isinstance(e, AnswerFinal) for e in events)
    shown = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert shown and GOOD.startswith(shown) and err.partial_text == shown
    assert len(ledger) == 1 and ledger[0].outcome == "StreamInterruptedError"
    assert ledger[0].input_tokens > 0 and ledger[0].output_tokens > 0 and ledger[0].cost_usd > 0
    assert err.usage.output_tokens == ledger[0].output_tokens


def test_a_client_closing_the_stream_early_leaves_one_cancelled_row(tmp_path, corpus, loopback, fake_keys,
                                                                     embedder_warm):
    loopback.script(None, Reply.slow_stream(n_deltas=400, delta_delay_s=0.02, input_tokens=300))
    with make_rag(tmp_path, corpus, route_for("openai", loopback)) as rag:
        stream = rag.ask_stream(Q)
        got = []
        for event in stream:
            got.append(event)
            if len(got) == 3:
                break
        stream.close()
        seen = loopback.wait_ended(timeout=10)
        ledger = rows(rag)
    assert all(isinstance(e, AnswerDelta) for e in got)
    assert seen.outcome == "client_closed"
    assert len(ledger) == 1 and ledger[0].outcome == "cancelled"
    assert ledger[0].output_tokens >= 3 and ledger[0].cost_usd > 0
