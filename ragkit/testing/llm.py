"""`LLMConformance`: what every `ragkit.protocols.LLM` provider must do, as test methods.

A provider's test class inherits it and provides `make_llm(self)`: a provider whose server answers
every request deterministically with `conformance_text` (and, when `conformance_usage` is set,
reports exactly that usage). For a provider that needs a server, an autouse fixture of the test
class can start it and keep it on `self`; with ragkit's loopback server::

    class TestOpenAIConformance(LLMConformance):
        conformance_usage = Usage(input_tokens=40, output_tokens=9, cache_read_tokens=256)

        @pytest.fixture(autouse=True)
        def _server(self, loopback, fake_keys):
            loopback.default = Reply.ok(self.conformance_text, input_tokens=40, output_tokens=9, cache_read=256)
            self.server = loopback

        def make_llm(self):
            return OpenAIProvider("gpt-4o-mini", base_url=self.server.openai_base_url)

What it checks: the provider has every member of the protocol; `complete` returns a `Completion`
with the text, the provider's name and a `Usage`; `stream` yields text deltas, then exactly one
`StreamDelta(completion=...)` whose text is the deltas joined; a streamed and a non-streamed call
agree on text, finish reason, model, provider and usage; a stream closed early stops, raises
nothing and reports what it used (`usage`, `partial_text`, `outcome == "closed"`: ragkit's stream
contract, ragkit/models/llm/streaming.py); `close()` is idempotent, also before any call, and the
provider opens its client again on the next call. `conformance_text` should have several words so
that it arrives in several deltas. Every provider made is closed after each test. Nothing here
imports pytest.
"""

from __future__ import annotations

from ragkit.protocols import LLM
from ragkit.testing.checks import assert_satisfies
from ragkit.types import Completion, Message, StreamDelta, Usage


class LLMConformance:
    conformance_text = "Paris is the capital of France [1]."
    conformance_usage: Usage | None = None  # the exact usage the server reports, when known
    conformance_messages = (
        Message("system", "Answer only from the context.", cache=True),
        Message("user", "Context: [1] Paris is the capital of France.", cache=True),
        Message("user", "What is the capital of France?"),
    )
    conformance_max_tokens = 64

    def make_llm(self) -> LLM:
        raise NotImplementedError("an LLMConformance subclass defines make_llm(self)")

    # ---- helpers ----------------------------------------------------------------------------------------
    def _llm(self) -> LLM:
        llm = self.make_llm()
        self.__dict__.setdefault("_conformance_llms", []).append(llm)
        return llm

    def teardown_method(self, method=None) -> None:
        for llm in self.__dict__.pop("_conformance_llms", []):
            llm.close()

    def _complete(self, llm: LLM) -> Completion:
        return llm.complete(list(self.conformance_messages), max_tokens=self.conformance_max_tokens, temperature=0.0)

    def _stream(self, llm: LLM):
        return llm.stream(list(self.conformance_messages), max_tokens=self.conformance_max_tokens, temperature=0.0)

    # ---- the tests ----------------------------------------------------------------------------------------
    def test_satisfies_the_llm_protocol(self):
        llm = self._llm()
        assert_satisfies(llm, LLM)
        assert isinstance(llm.provider, str) and llm.provider
        assert isinstance(llm.model, str) and llm.model
        assert llm.context_window is None or llm.context_window > 0

    def test_complete_returns_a_completion_with_usage(self):
        llm = self._llm()
        c = self._complete(llm)
        assert isinstance(c, Completion)
        assert c.text == self.conformance_text
        assert c.provider == llm.provider and c.model
        assert isinstance(c.usage, Usage)
        assert c.usage.input_tokens + c.usage.cache_read_tokens + c.usage.cache_write_tokens > 0
        assert c.usage.output_tokens > 0
        assert c.latency_s > 0
        if self.conformance_usage is not None:
            assert c.usage == self.conformance_usage

    def test_stream_yields_text_deltas_then_one_completion(self):
        llm = self._llm()
        pieces = list(self._stream(llm))
        assert pieces and all(isinstance(p, StreamDelta) for p in pieces)
        *deltas, last = pieces
        assert last.completion is not None and last.text == "", "a stream ends with one completion"
        assert all(p.completion is None and p.text for p in deltas), "text deltas carry text and no completion"
        assert len(deltas) >= 2, "the answer should arrive in several deltas"
        assert "".join(p.text for p in deltas) == last.completion.text == self.conformance_text
        assert last.completion.provider == llm.provider
        assert last.completion.latency_s > 0

    def test_stream_and_complete_agree(self):
        llm = self._llm()
        c = self._complete(llm)
        s = list(self._stream(llm))[-1].completion
        assert (s.text, s.finish_reason, s.model, s.provider) == (c.text, c.finish_reason, c.model, c.provider)
        assert s.usage == c.usage

    def test_a_stream_closed_early_stops_and_reports_its_usage(self):
        stream = self._stream(self._llm())
        first = next(stream)
        assert first.text and first.completion is None
        stream.close()
        stream.close()  # idempotent
        assert list(stream) == [], "a closed stream yields nothing more"
        assert stream.outcome == "closed"
        assert stream.partial_text == first.text
        assert isinstance(stream.usage, Usage) and stream.usage.output_tokens >= 1
        assert stream.usage.input_tokens + stream.usage.cache_read_tokens > 0

    def test_a_stream_never_started_closes_quietly(self):
        stream = self._stream(self._llm())
        stream.close()
        assert list(stream) == [] and stream.outcome == "closed" and stream.usage == Usage()

    def test_close_is_idempotent(self):
        llm = self._llm()
        llm.close()  # before any call
        assert self._complete(llm).text == self.conformance_text  # the client opens again on use
        llm.close()
        llm.close()
