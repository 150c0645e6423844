"""Chunking: sentence-aligned, token-capped chunks with character offsets into the source."""

from ragkit.ingest.chunking.budget import TiktokenCounter, TokenBudget, TokenCounter
from ragkit.ingest.chunking.chunker import SentenceChunker
from ragkit.ingest.chunking.document import CHUNK_NAMESPACE, chunk_document, chunk_documents, chunk_id
from ragkit.ingest.chunking.factory import build_chunker
from ragkit.ingest.chunking.strategies import FixedSizeStrategy, RecursiveStrategy, SemanticStrategy
from ragkit.text.sentences import split_sentences

__all__ = [
    "CHUNK_NAMESPACE",
    "FixedSizeStrategy",
    "RecursiveStrategy",
    "SemanticStrategy",
    "SentenceChunker",
    "TiktokenCounter",
    "TokenBudget",
    "TokenCounter",
    "build_chunker",
    "chunk_document",
    "chunk_documents",
    "chunk_id",
    "split_sentences",
]
