"""Token budgets: a batch token counter and the most tokens one chunk may hold under it.

A chunker holds one budget per limit it must respect: the configured `chunk_size` counted with
tiktoken, and the embedder's window counted with the embedder's own tokenizer (special tokens
included). Counters take a list of texts and return one count per text, so each backend can batch.
"""

from __future__ import annotations

from typing import Callable, Sequence

TokenCounter = Callable[[list[str]], list[int]]


class TokenBudget:
    """`count(texts)` -> tokens per text; one chunk's text may hold at most `limit` of them.

    `overhead` is what the counter charges for an empty text (e.g. [CLS] and [SEP]). It is paid
    once per chunk, so a sentence's own cost is its count minus the overhead. It is counted on
    first use, since the counter may have to load a tokenizer.
    """

    def __init__(self, name: str, count: TokenCounter, limit: int):
        self.name = name  # what the limit is, for messages
        self.count = count
        self.limit = int(limit)
        self._overhead: int | None = None

    @property
    def overhead(self) -> int:
        if self._overhead is None:
            self._overhead = int(self.count([""])[0])
        return self._overhead

    @property
    def room(self) -> int:
        """Tokens of content one chunk may hold once the overhead is paid."""
        return self.limit - self.overhead

    def __repr__(self) -> str:
        return f"TokenBudget({self.name!r}, limit={self.limit})"


class TiktokenCounter:
    """Counts tokens with a tiktoken encoding, loaded offline on first use."""

    def __init__(self, encoding: str = "cl100k_base"):
        self.encoding = encoding
        self._enc = None

    def __call__(self, texts: list[str]) -> list[int]:
        if self._enc is None:
            from ragkit.models.tokens import get_encoding

            self._enc = get_encoding(self.encoding)
        encode = self._enc.encode_ordinary  # special-token text counts as ordinary text
        # A plain loop: tiktoken's *_batch functions start a thread pool per call, slower here.
        return [len(encode(t)) for t in texts]


def content_costs(budgets: Sequence[TokenBudget], texts: list[str]) -> list[list[int]]:
    """Each text's own cost (count minus overhead) under each budget: [budget][text]."""
    if not texts:
        return [[] for _ in budgets]
    return [[c - b.overhead for c in b.count(texts)] for b in budgets]


def all_fit(budgets: Sequence[TokenBudget], texts: list[str]) -> list[bool]:
    """Whether each text's real count is within every budget's limit."""
    ok = [True] * len(texts)
    if not texts:
        return ok
    for b in budgets:
        for i, c in enumerate(b.count(texts)):
            if c > b.limit:
                ok[i] = False
    return ok
