"""Both generators through `ragkit.testing.GeneratorConformance`: the offline extractive one (with
and without a ledger behind it) and an LLM route of the gateway over the real OpenAI and Anthropic
SDKs on the loopback server; and a custom generator written from the protocol alone, used by RAG."""

from __future__ import annotations

import pytest

from ragkit.answer.generators import ExtractiveGenerator, LLMGenerator, api_routes
from ragkit.config import load_config
from ragkit.orchestrate import ManualClock, build_gateway
from ragkit.testing.generator import GeneratorConformance, conformance_request
from ragkit.types import Completion, Generation, GenerationRequest, StreamDelta, Usage
from tests.loopback.fixtures import anthropic_route, fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply


class TestExtractiveGenerator(GeneratorConformance):
    def make_generator(self):
        return ExtractiveGenerator(3)

    def test_answers_from_the_chunks_with_a_citation_at_no_cost(self):
        got = self.make_generator().generate(conformance_request())
        assert got.completion.text == "The alpha reactor runs at 451 kelvin. [Source: alpha.md]"
        assert (got.cost_usd, got.usage, got.completion.provider) == (0.0, Usage(), "extractive")


class TestExtractiveGeneratorOnALedger(GeneratorConformance):
    @pytest.fixture(autouse=True)
    def _gateway(self, tmp_path):
        cfg = load_config(overrides={"home": str(tmp_path)}, env={})
        self.gateway = build_gateway(cfg, routes=api_routes(cfg), clock=ManualClock(real_time=True))
        yield
        self.gateway.close()

    def make_generator(self):
        return ExtractiveGenerator(3, gateway=self.gateway)

    def test_every_answer_gets_one_free_row(self):
        gen = self.make_generator()
        got = gen.generate(conformance_request("q1"))
        list(gen.stream(conformance_request("q2")))
        rows = self.gateway.ledger.rows()
        assert [(r.query_id, r.provider, r.outcome, r.cost_usd) for r in rows] == [
            ("q1", "extractive", "ok", 0.0), ("q2", "extractive", "ok", 0.0)]
        assert got.ledger_row is not None


class _LLMRoute(GeneratorConformance):
    route: staticmethod

    @pytest.fixture(autouse=True)
    def _server(self, tmp_path, loopback, fake_keys):
        loopback.script(None, *[Reply.ok("The alpha reactor runs at 451 kelvin. [Source: alpha.md]",
                                         input_tokens=400, output_tokens=15, cache_read=100) for _ in range(8)])
        cfg = load_config(overrides={"home": str(tmp_path), "llm": {"small": self.route(loopback)},
                                     "cache": {"enabled": False}}, env={})
        self.gateway = build_gateway(cfg, routes=api_routes(cfg), clock=ManualClock(real_time=True))
        self.loopback = loopback
        yield
        self.gateway.close()

    def make_generator(self):
        return LLMGenerator(self.gateway, "small")

    def test_the_stream_is_a_real_sse_stream_with_usage(self):
        got = list(self.make_generator().stream(conformance_request()))
        assert self.loopback.seen[-1].body.get("stream") is True
        assert got[-1].usage == Usage(400, 15, 100) and got[-1].cost_usd > 0


class TestOpenAIRoute(_LLMRoute):
    route = staticmethod(lambda lb: openai_route(lb, "gpt-4o-mini"))


class TestAnthropicRoute(_LLMRoute):
    route = staticmethod(lambda lb: anthropic_route(lb, "claude-haiku-4-5"))


class EchoGenerator:
    """A generator written from the protocol alone: quotes the first chunk and cites it."""

    name = "echo"

    def generate(self, request: GenerationRequest) -> Generation:
        top = request.chunks[0].chunk
        text = f"{top.text.split('. ')[0].rstrip('.')}. [Source: {top.source}]"
        return Generation(Completion(text, "echo-1", "echo", cost_usd=0.0), 0.0, Usage())

    def stream(self, request: GenerationRequest):
        gen = self.generate(request)
        for word in gen.completion.text.split(" "):
            yield StreamDelta(text=word if word == gen.completion.text.split(" ")[0] else " " + word)
        yield gen


class TestEchoGenerator(GeneratorConformance):
    def make_generator(self):
        return EchoGenerator()


def test_rag_answers_with_a_custom_generator(tmp_path, embedder_warm):
    from ragkit.rag import RAG

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.txt").write_text("The alpha reactor runs at 451 kelvin. It was built in 2019.\n")
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False}, "cache": {"enabled": False}}
    with RAG(cfg, generators={"small": EchoGenerator()}) as rag:
        rag.ingest([docs])
        ans = rag.ask("At what temperature does the alpha reactor run?")
        events = list(rag.ask_stream("At what temperature does the alpha reactor run?"))
    assert ans.provider == "echo" and ans.text == "The alpha reactor runs at 451 kelvin. [Source: alpha.txt]"
    assert ans.verified and events[-1].answer.text == ans.text
