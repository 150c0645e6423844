"""ragkit: retrieval-augmented LLM applications that hold up in production.

Importing ragkit is cheap: heavy backends (torch, sentence-transformers, qdrant, SDKs) load
where they are built, on first use.
"""

from ragkit.errors import RagkitError
from ragkit.types import Chunk, Document, ScoredChunk

__version__ = "0.1.0"
__all__ = ["Chunk", "Document", "RagkitError", "ScoredChunk", "__version__"]
