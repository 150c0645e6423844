"""ragkit: retrieval-augmented LLM applications that hold up in production.

Importing ragkit is cheap: heavy backends (torch, sentence-transformers, qdrant, SDKs) load
where they are built, on first use.
"""

from typing import TYPE_CHECKING, Any

from ragkit.errors import RagkitError
from ragkit.types import Chunk, Document, ScoredChunk

if TYPE_CHECKING:
    from ragkit.rag import RAG

__version__ = "0.1.0"
__all__ = ["RAG", "Chunk", "Document", "RagkitError", "ScoredChunk", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "RAG":  # the facade pulls in config and pydantic: load it on first use
        from ragkit.rag import RAG

        return RAG
    raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
