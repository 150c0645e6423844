"""HashingEmbedder: a bag-of-words embedder written from `ragkit.protocols.Embedder` alone.

Each lowercased word goes to one of `dim` buckets with a sign (both from blake2b), and the row is
L2-normalised: texts sharing words are near, the rest orthogonal. No model, no network, exact.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

WORD = re.compile(r"[^\W_]+")


def _bucket(word: str, dim: int) -> tuple[int, float]:
    h = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
    return h % dim, (1.0 if (h >> 63) else -1.0)


class HashingEmbedder:
    batch_invariant = True  # each text is embedded on its own
    max_tokens = 512

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hashing-bow-{dim}"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(WORD.findall(t.lower())) for t in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in zip(out, texts):
            for word in WORD.findall(text.lower()):
                i, sign = _bucket(word, self.dim)
                row[i] += sign
            norm = float(np.linalg.norm(row))
            if norm == 0:  # no words: a fixed unit vector, still finite and normalised
                row[0] = 1.0
            else:
                row /= norm
        return out

    def close(self) -> None:
        """Nothing to release."""
