"""build_chunker: a configured chunker from `ChunkingConfig` and the embedder's window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkit.errors import ConfigError
from ragkit.ingest.chunking.budget import TiktokenCounter, TokenBudget, TokenCounter
from ragkit.ingest.chunking.chunker import SentenceChunker
from ragkit.ingest.chunking.strategies import FixedSizeStrategy, RecursiveStrategy, SemanticStrategy

if TYPE_CHECKING:
    from ragkit.config.data import ChunkingConfig


def build_chunker(
    cfg: ChunkingConfig | None = None,
    window_counter: TokenCounter | None = None,
    window: int | None = None,
) -> SentenceChunker:
    """A chunker for `cfg` (defaults when None).

    Chunks hold at most `cfg.chunk_size` tokens of `cfg.encoding`; when `window_counter` and
    `window` are given (the embedder's `count_tokens` and `max_tokens`), also at most `window` as
    that counter counts them, whatever the configured size.
    """
    if cfg is None:
        from ragkit.config.data import ChunkingConfig

        cfg = ChunkingConfig()
    if (window_counter is None) != (window is None):
        raise ConfigError("build_chunker: give both window_counter and window (the embedder's), or neither")
    budgets = [TokenBudget(f"chunking.chunk_size ({cfg.encoding} tokens)", TiktokenCounter(cfg.encoding), cfg.chunk_size)]
    if window_counter is not None:
        if window < 8:
            raise ConfigError(f"embedder window of {window} tokens is too small to chunk for (need at least 8)")
        budgets.append(TokenBudget("embedder window (its own tokenizer)", window_counter, window))
    if cfg.strategy == "semantic":
        strategy = SemanticStrategy(window=cfg.window, min_tokens=cfg.min_chunk_tokens)
    elif cfg.strategy == "recursive":
        strategy = RecursiveStrategy(min_tokens=cfg.min_chunk_tokens)
    elif cfg.strategy == "fixed_size":
        strategy = FixedSizeStrategy()
    else:  # pragma: no cover - the config's Literal already refuses others
        raise ConfigError(f"chunking.strategy: unknown strategy {cfg.strategy!r}")
    return SentenceChunker(strategy, budgets, overlap=cfg.chunk_overlap)
