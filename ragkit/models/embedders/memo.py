"""A bounded, thread-safe memo of text vectors keyed by content hash.

Citation verification embeds the sentences of every context chunk it checks against; the same
chunks come back query after query, so their sentences are embedded once per process instead of
once per query (the warm `ask`'s verify stage on the bundled docs: see bench/latency.py). Least
recently used entries go first once `max_entries` is reached; a vector is the embedder's own, so
a hit returns exactly what a miss computed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Sequence

import numpy as np

EmbedFn = Callable[[Sequence[str]], np.ndarray]


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class MemoEmbed:
    """`MemoEmbed(embed, max_entries)(texts)` -> the vectors of `texts` (rows in order), embedding
    only the texts it has not seen, in one batch."""

    def __init__(self, embed: EmbedFn, max_entries: int = 20_000):
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self._embed = embed
        self.max_entries = max_entries
        self._vecs: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vecs)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for k in keys:
                v = self._vecs.get(k)
                if v is not None:
                    self._vecs.move_to_end(k)
                    found[k] = v
        todo = list(dict.fromkeys((k, t) for k, t in zip(keys, texts) if k not in found))
        if todo:
            arr = np.asarray(self._embed([t for _, t in todo]), dtype=np.float32)
            fresh = {k: arr[i] for i, (k, _) in enumerate(todo)}
            found.update(fresh)
            with self._lock:
                for k, v in fresh.items():
                    self._vecs[k] = v
                    self._vecs.move_to_end(k)
                while len(self._vecs) > self.max_entries:
                    self._vecs.popitem(last=False)
        with self._lock:
            self.hits += len(keys) - len(todo)
            self.misses += len(todo)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def clear(self) -> None:
        with self._lock:
            self._vecs.clear()
