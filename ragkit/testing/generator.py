"""`GeneratorConformance`: what every `ragkit.protocols.Generator` must do, as test methods.

A backend's test class inherits it and provides `make_generator(self)` (and, for a generator that
needs a server, whatever fixture starts it)::

    class TestMyGenerator(GeneratorConformance):
        def make_generator(self):
            return MyGenerator(...)

The generator is asked about a two-chunk context whose answer is in the first chunk; a generator
that cannot answer it must still keep the contract (a Generation with a Completion, streams that
add up). Nothing here imports pytest.
"""

from __future__ import annotations

from ragkit.protocols import Generator
from ragkit.types import Chunk, Completion, Generation, GenerationRequest, Message, ScoredChunk, StreamDelta, Usage

QUESTION = "At what temperature does the alpha reactor run?"
CHUNKS = (
    ScoredChunk(Chunk("c-alpha", "alpha.md", "The alpha reactor runs at 451 kelvin. It was built in 2019.",
                      0, 59, 0, "h-alpha"), 0.9, 1),
    ScoredChunk(Chunk("c-beta", "beta.txt", "The beta pump moves 12 litres per minute.", 0, 41, 0, "h-beta"), 0.4, 2),
)


def conformance_request(query_id: str = "conformance") -> GenerationRequest:
    """The request every conformance test sends: the question, its chunks and a plain prompt."""
    context = "\n\n".join(f"[{c.chunk.source}] {c.chunk.text}" for c in CHUNKS)
    messages = (Message("system", "Answer only from the context and cite [Source: name].", cache=True),
                Message("user", f"Context:\n{context}\n\nQuestion: {QUESTION}"))
    return GenerationRequest(QUESTION, CHUNKS, messages, query_id=query_id)


class GeneratorConformance:
    deterministic = True  # False: generate and stream may word the answer differently

    def make_generator(self) -> Generator:
        raise NotImplementedError("a GeneratorConformance subclass defines make_generator(self)")

    def test_satisfies_the_protocol(self):
        gen = self.make_generator()
        assert isinstance(gen, Generator), f"{type(gen).__name__} lacks a Generator method"
        assert isinstance(gen.name, str) and gen.name

    def test_generate_returns_a_generation_with_its_cost(self):
        got = self.make_generator().generate(conformance_request())
        assert isinstance(got, Generation) and isinstance(got.completion, Completion)
        assert isinstance(got.completion.text, str) and got.completion.text.strip()
        assert isinstance(got.usage, Usage)
        assert got.cost_usd is None or got.cost_usd >= 0.0
        assert got.completion.provider and got.completion.model

    def test_stream_yields_text_then_exactly_one_generation(self):
        pieces = list(self.make_generator().stream(conformance_request()))
        assert pieces and isinstance(pieces[-1], Generation), "a stream ends with its Generation"
        deltas = pieces[:-1]
        assert all(isinstance(p, StreamDelta) and p.completion is None for p in deltas)
        assert "".join(p.text for p in deltas) == pieces[-1].completion.text

    def test_generate_and_stream_agree(self):
        if not self.deterministic:
            return
        gen = self.make_generator()
        plain = gen.generate(conformance_request("plain"))
        streamed = list(gen.stream(conformance_request("streamed")))[-1]
        assert streamed.completion.text == plain.completion.text
        assert streamed.usage == plain.usage

    def test_an_abandoned_stream_can_be_closed(self):
        stream = iter(self.make_generator().stream(conformance_request()))
        first = next(stream)
        assert isinstance(first, (StreamDelta, Generation))
        close = getattr(stream, "close", None)  # a plain iterator has nothing to release
        if callable(close):
            close()
