"""Property tests (hypothesis) of the chunking invariants, for every strategy, with the real
tiktoken encoding and the embedder's own tokenizer (tokenizer.json only: no torch).

For any text: each chunk is exactly text[start:end], trimmed; no chunk exceeds chunk_size tiktoken
tokens nor the embedder's window in its own word pieces ([CLS]/[SEP] included); together the chunks
cover every non-whitespace character; a chunk ends mid-sentence only inside a sentence that alone
exceeds a cap; overlap is whole preceding sentences of at most chunk_overlap tokens.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.config.data import ChunkingConfig
from ragkit.ingest.chunking import build_chunker, split_sentences
from ragkit.models.tokens import get_encoding

pytestmark = pytest.mark.integration
STRATEGIES = ("semantic", "recursive", "fixed_size")


@functools.lru_cache(maxsize=1)
def embedder():
    from ragkit.models.embedders.local import LocalEmbedder

    return LocalEmbedder()


def tik(text: str) -> int:
    return len(get_encoding("cl100k_base").encode_ordinary(text))


# ---- text generators -----------------------------------------------------------------------------
VOCAB = (
    "the cell protein levels increased significantly in mice treated with rapamycin while control "
    "groups showed no change tax office returns income cats kittens sleep groom data model"
).split()
word = st.sampled_from(VOCAB)
plain_sentence = st.lists(word, min_size=1, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
abbrev_sentence = st.sampled_from(
    [
        "Dr. Smith et al. reported e.g. a 3.5-fold rise (Fig. 2).",
        "Levels fell to 0.05 mg vs. 1.2 mg, i.e. a large drop...",
        "See No. 5 and pp. 10-12 in the U.S. report!",
        "Is it true? Yes.",
        '"Quoted sentence." Then more.',
    ]
)
long_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzαβγ数据", min_size=40, max_size=700)
unicode_sentence = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFFF), min_size=1, max_size=120
)
run_on_sentence = st.lists(word, min_size=60, max_size=400).map(" ".join)  # no stop: over small caps
sentence = st.one_of(
    plain_sentence, plain_sentence, plain_sentence, abbrev_sentence, long_word, unicode_sentence, run_on_sentence
)
separator = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  \n\n\t", "\n- ", "\n# ", "\u3000", "\u00a0"])


@st.composite
def documents(draw) -> str:
    parts = draw(st.lists(st.tuples(sentence, separator), min_size=0, max_size=18))
    lead = draw(st.sampled_from(["", " ", "\n\n", "# Title\n"]))
    return lead + "".join(s + sep for s, sep in parts)


# ---- the invariants ------------------------------------------------------------------------------
def check_invariants(text: str, pieces, chunk_size: int, overlap: int, window: int | None) -> None:
    emb = embedder()
    sentences = split_sentences(text)
    ends = {e for _, e in sentences}
    starts = {s for s, _ in sentences}

    def sentence_at(offset: int) -> tuple[int, int]:
        return next((s, e) for s, e in sentences if s <= offset < e)

    def word_at(offset: int) -> tuple[int, int]:
        a = b = offset
        while a > 0 and not text[a - 1].isspace():
            a -= 1
        while b < len(text) and not text[b].isspace():
            b += 1
        return a, b

    def oversized(span: tuple[int, int]) -> bool:
        t = text[span[0] : span[1]]
        return tik(t) > chunk_size or (window is not None and emb.count_tokens([t])[0] > window)

    covered = bytearray(len(text))
    prev = None
    for p in pieces:
        assert text[p.start : p.end] == p.text and p.text
        assert p.text == p.text.strip(), "chunks are trimmed of surrounding whitespace"
        assert tik(p.text) <= chunk_size, "over chunk_size in tiktoken tokens"
        if window is not None:
            assert emb.count_tokens([p.text])[0] <= window, "over the embedder's window"
        if p.end not in ends:
            assert oversized(sentence_at(p.end - 1)), "ends mid-sentence in a sentence that fits"
            if p.end < len(text) and not text[p.end].isspace():
                assert oversized(word_at(p.end - 1)), "ends mid-word in a word that fits"
        if p.start not in starts:
            assert oversized(sentence_at(p.start)), "starts mid-sentence in a sentence that fits"
            if p.start > 0 and not text[p.start - 1].isspace():
                assert oversized(word_at(p.start)), "starts mid-word in a word that fits"
        if prev is not None:
            assert p.start >= prev.start and p.end > prev.end, "chunks are in order and make progress"
            if p.start < prev.end:  # overlap: whole sentences, at most `overlap` tokens by sentence
                repeated = [(s, e) for s, e in sentences if p.start <= s and e <= prev.end]
                assert repeated and repeated[0][0] == p.start and repeated[-1][1] == prev.end
                assert sum(tik(text[s:e]) for s, e in repeated) <= overlap
        for i in range(p.start, p.end):
            covered[i] = 1
        prev = p
    missing = [i for i, c in enumerate(text) if not c.isspace() and not covered[i]]
    assert not missing, f"non-whitespace not covered at {missing[:5]}"


COMMON = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("strategy", STRATEGIES)
@COMMON
@given(text=documents(), chunk_size=st.integers(32, 128), overlap_share=st.sampled_from([0.0, 0.2, 0.5]))
def test_invariants_under_small_tiktoken_caps(strategy, text, chunk_size, overlap_share):
    overlap = int(chunk_size * overlap_share)
    cfg = ChunkingConfig(strategy=strategy, chunk_size=chunk_size, chunk_overlap=overlap, min_chunk_tokens=16)
    emb = embedder()
    chunker = build_chunker(cfg, emb.count_tokens, emb.max_tokens)
    check_invariants(text, chunker.split(text), chunk_size, overlap, emb.max_tokens)


@pytest.mark.parametrize("strategy", STRATEGIES)
@COMMON
@given(text=documents(), window=st.integers(24, 96))
def test_embedder_window_binds_whatever_the_configured_size(strategy, text, window):
    """chunk_size 4096 tiktoken tokens, but the embedder's tokenizer allows only `window`."""
    cfg = ChunkingConfig(strategy=strategy, chunk_size=4096, chunk_overlap=50)
    emb = embedder()
    chunker = build_chunker(cfg, emb.count_tokens, window)
    check_invariants(text, chunker.split(text), 4096, 50, window)


def test_default_window_is_the_embedders_256_word_pieces():
    emb = embedder()
    assert emb.max_tokens == 256
    chunker = build_chunker(ChunkingConfig(chunk_size=2048, chunk_overlap=0), emb.count_tokens, emb.max_tokens)
    text = " ".join(f"Measurement {i} of the protein level rose by {i}.5 percent in treated mice." for i in range(200))
    pieces = chunker.split(text)
    counts = emb.count_tokens([p.text for p in pieces])
    assert max(counts) <= 256 and max(counts) > 200  # filled close to the window, never over
    check_invariants(text, pieces, 2048, 0, 256)
