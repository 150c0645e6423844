"""SparseEncoderConformance: the behaviour every `SparseEncoder` must show. Subclass it per backend::

    class TestMyEncoder(SparseEncoderConformance):
        def make_encoder(self, context_words=0):    # a fresh encoder, nothing fixed yet
            return MyEncoder(context_words=context_words)
"""

from __future__ import annotations

import json
import math

from ragkit.protocols import SparseEncoder
from ragkit.testing.checks import assert_satisfies
from ragkit.types import SparseVector

DOCS = [
    "Sourdough bread rises slowly because wild yeast ferments the flour overnight.",
    "Jupiter is the largest planet of the solar system, a gas giant with dozens of moons.",
    "Domestic cats sleep for most of the day and hunt small rodents at dusk.",
    "Install ragkit with pip.",
]
OTHER = ["A much longer text about volcanoes, lava, basalt, magma chambers, eruptions and ash clouds " * 5,
         "Tiny note."]


def weights(v: SparseVector) -> dict[int, float]:
    return dict(zip(v.indices, v.values))


class SparseEncoderConformance:
    def make_encoder(self, context_words: int = 0) -> SparseEncoder:
        raise NotImplementedError("a SparseEncoderConformance subclass defines make_encoder(self, context_words=0)")

    def test_satisfies_protocol(self):
        enc = self.make_encoder()
        assert_satisfies(enc, SparseEncoder)
        assert enc.context_words == 0 and self.make_encoder(context_words=7).context_words == 7

    def test_one_vector_per_text_with_sorted_distinct_terms_and_positive_weights(self):
        vecs = self.make_encoder().encode_documents(DOCS)
        assert len(vecs) == len(DOCS)
        for v in vecs:
            assert v.indices and len(v.indices) == len(v.values) == len(set(v.indices))
            assert list(v.indices) == sorted(v.indices)  # ragkit.types.SparseVector: ids ascending
            assert all(isinstance(i, int) and 0 <= i < 2**32 for i in v.indices)  # Qdrant's u32 term ids
            assert all(math.isfinite(w) and w > 0 for w in v.values)

    def test_a_query_meets_the_documents_holding_its_words(self):
        enc = self.make_encoder()
        bread, jupiter, *_ = enc.encode_documents(DOCS)
        q = enc.encode_query("sourdough yeast")
        assert set(q.indices) <= set(bread.indices) and not set(q.indices) & set(jupiter.indices)
        assert q.indices and all(math.isfinite(w) and w > 0 for w in q.values)
        assert enc.encode_query("").indices == ()

    def test_encodings_are_deterministic(self):
        a, b = self.make_encoder(), self.make_encoder()
        a.fit(DOCS)
        b.fit(DOCS)
        assert a.encode_documents(DOCS) == b.encode_documents(DOCS)
        assert a.encode_query("gas giant moons") == b.encode_query("gas giant moons")
        assert a.params() == b.params()

    def test_fit_fixes_the_statistics_once(self):
        enc, ref = self.make_encoder(), self.make_encoder()
        enc.fit(DOCS)
        ref.fit(DOCS)
        params = enc.params()
        json.dumps(params)  # kept with the index
        enc.fit(OTHER)  # already fixed: changes nothing
        assert enc.params() == params and enc.encode_documents(DOCS) == ref.encode_documents(DOCS)

    def test_the_first_documents_fix_the_statistics_when_not_fitted(self):
        enc, ref = self.make_encoder(), self.make_encoder()
        enc.encode_documents(DOCS)
        ref.fit(DOCS)
        enc.fit(OTHER)
        assert enc.params() == ref.params() and enc.encode_documents(DOCS[:2]) == ref.encode_documents(DOCS[:2])

    def test_reset_forgets_the_statistics(self):
        enc, ref = self.make_encoder(), self.make_encoder()
        enc.fit(DOCS)
        enc.reset()
        enc.fit(OTHER)
        ref.fit(OTHER)
        assert enc.params() == ref.params() and enc.encode_documents(DOCS) == ref.encode_documents(DOCS)

    def test_context_windows_hold_each_piece(self):
        pieces = ["One short piece.", "Another piece of text here.", "Third.", "And a fourth piece to close."]
        for words in (0, 3, 12, 1000):
            spans = self.make_encoder(context_words=words).context_windows(pieces)
            assert len(spans) == len(pieces)
            assert all(0 <= lo <= i < hi <= len(pieces) for i, (lo, hi) in enumerate(spans)), (words, spans)
        wide = self.make_encoder(context_words=1000).context_windows(pieces)
        assert all(span == (0, len(pieces)) for span in wide)

    def test_context_passage_terms_join_the_vector_below_the_texts_own(self):
        enc = self.make_encoder(context_words=50)
        text, context = "Alpine glaciers retreat.", "Alpine glaciers retreat. Meltwater feeds turquoise lakes."
        enc.fit([text], [context])
        alone, with_context = enc.encode_documents([text])[0], enc.encode_documents([text], [context])[0]
        lakes = set(enc.encode_query("turquoise").indices)
        assert lakes and not lakes & set(alone.indices) and lakes <= set(with_context.indices)
        own = weights(with_context)[enc.encode_query("glaciers").indices[0]]
        assert own > max(weights(with_context)[t] for t in lakes)

    def test_close_keeps_it_usable(self):
        enc = self.make_encoder()
        before = enc.encode_query("hunt small rodents")
        enc.close()
        assert enc.encode_query("hunt small rodents") == before
