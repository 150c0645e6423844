"""Semantic answer cache on diskcache: a wrong cached answer is worse than a miss.

A cached answer is served for a new question only when ALL hold:

1. the cosine similarity of the questions' embeddings is at least `threshold`;
2. the index version (the caller's generation/version string for the corpus) is unchanged since
   the answer was cached - any ingest that changes the index invalidates every entry;
3. the evidence retrieval returns now (chunk ids) is the evidence the cached answer was built on;
4. the questions name the same numbers and proper names ("revenue in 2022" vs "in 2023" are
   0.94 similar under MiniLM; "capital of France" vs "of Germany" must never share an answer).

It takes the embedder and the current evidence as inputs (it does not import retrieval). Lookups
count `hits`, `misses` and `refusals` (with reasons in `refusal_reasons`). Vectors are kept in
memory as one matrix, rebuilt when another process has written (a generation counter).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ragkit.orchestrate.cache_exact import completion_from_dict, completion_to_dict
from ragkit.types import Completion

_GEN_KEY = "__generation__"
_ENTRY = "e:"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def key_terms(text: str) -> frozenset[str]:
    """Numbers and capitalised words after the first word (names), lowercased, possessives cut. Pure."""
    terms = {n.replace(",", "") for n in _NUMBER.findall(text)}
    words = _WORD.findall(text)
    for w in words[1:]:
        if w[0].isupper() and w != "I":
            terms.add(re.sub(r"'s?$", "", w).lower())
    return frozenset(terms)


def terms_conflict(a: str, b: str) -> frozenset[str]:
    """Key terms of either question missing from the other's words (case-insensitive). Pure."""
    words_a = {re.sub(r"'s?$", "", w).lower() for w in _WORD.findall(a)} | set(_NUMBER.findall(a.replace(",", "")))
    words_b = {re.sub(r"'s?$", "", w).lower() for w in _WORD.findall(b)} | set(_NUMBER.findall(b.replace(",", "")))
    return frozenset((key_terms(a) - words_b) | (key_terms(b) - words_a))


@dataclass(frozen=True)
class SemanticLookup:
    hit: bool
    reason: str  # "hit", or why not
    similarity: float | None = None
    completion: Completion | None = None
    cost_usd: float | None = None  # what the cached answer cost when made (saved by this hit)
    cached_question: str | None = None


class SemanticCache:
    """A `ragkit.protocols.AnswerCache` on diskcache at `path`, comparing questions by `embedder`."""

    def __init__(self, path: str | Path, embedder: Any, *, threshold: float = 0.92, ttl_s: float | None = None,
                 size_limit_mb: int = 256, max_entries: int = 10_000):
        self.path = Path(path)
        self.embedder = embedder
        self.threshold = threshold
        self.ttl_s = ttl_s
        self.size_limit = int(size_limit_mb) * 1024 * 1024
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.refusals = 0
        self.refusal_reasons: Counter[str] = Counter()
        self._cache = None
        self._lock = threading.RLock()
        self._keys: list[str] = []
        self._matrix: np.ndarray | None = None
        self._generation: int | None = None

    # ---- storage --------------------------------------------------------------------------------
    def _store(self):
        if self._cache is None:
            import diskcache

            self.path.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(self.path), size_limit=self.size_limit)
        return self._cache

    def _refresh(self) -> None:
        """Reload the vector matrix when the on-disk generation moved (another writer, or first use)."""
        store = self._store()
        gen = store.get(_GEN_KEY, 0)
        if self._matrix is not None and gen == self._generation:
            return
        keys, vecs = [], []
        for key in store.iterkeys():
            if not (isinstance(key, str) and key.startswith(_ENTRY)):
                continue
            entry = store.get(key)
            if entry is None:
                continue
            keys.append(key)
            vecs.append(np.frombuffer(entry["vector"], dtype=np.float32))
        self._keys = keys
        self._matrix = np.vstack(vecs) if vecs else None
        self._generation = gen

    def _embed(self, question: str, vector: np.ndarray | None) -> np.ndarray:
        if vector is None:
            vector = self.embedder.embed([question])[0]
        v = np.asarray(vector, dtype=np.float32).ravel()
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    # ---- API ------------------------------------------------------------------------------------
    def lookup(self, question: str, *, evidence_ids: Sequence[str], index_version: str,
               vector: np.ndarray | None = None) -> SemanticLookup:
        """A cached answer for `question` if every rule holds; else a miss or a refusal with its reason.

        `vector` is the question's embedding when the caller already has it (retrieval computed it)."""
        with self._lock:
            self._refresh()
            if self._matrix is None or not self._keys:
                return self._miss("cache is empty")
            q = self._embed(question, vector)
            if q.shape[0] != self._matrix.shape[1]:
                return self._miss(f"embedding dimension {q.shape[0]} differs from the cache's {self._matrix.shape[1]}")
            sims = self._matrix @ q
            order = np.argsort(-sims)
            above = [int(i) for i in order if sims[i] >= self.threshold]
            if not above:
                return self._miss(f"nearest similarity {float(sims[order[0]]):.3f} < threshold {self.threshold:g}",
                                  float(sims[order[0]]))
            first_refusal: tuple[str, str, float] | None = None
            evidence = sorted(set(evidence_ids))
            for i in above:
                entry = self._store().get(self._keys[i])
                if entry is None:  # expired or culled since the matrix was built
                    continue
                why = self._refusal(entry, question, evidence, index_version)
                if why is None:
                    self.hits += 1
                    return SemanticLookup(True, "hit", float(sims[i]), completion_from_dict(entry["completion"]),
                                          entry.get("cost_usd"), entry["question"])
                if first_refusal is None:
                    first_refusal = (*why, float(sims[i]))
            if first_refusal is None:
                return self._miss("similar entries have expired")
            kind, detail, sim = first_refusal
            self.refusals += 1
            self.refusal_reasons[kind] += 1
            return SemanticLookup(False, f"refused: {detail}", sim)

    def store(self, question: str, completion: Completion, *, evidence_ids: Sequence[str], index_version: str,
              cost_usd: float | None = None, vector: np.ndarray | None = None) -> str:
        """Cache `completion` as the answer to `question` given this evidence and index version."""
        q = self._embed(question, vector)
        entry = {
            "question": question,
            "vector": q.astype(np.float32).tobytes(),
            "completion": completion_to_dict(completion),
            "cost_usd": cost_usd,
            "evidence": sorted(set(evidence_ids)),
            "index_version": str(index_version),
            "created": time.time(),
        }
        key = _ENTRY + uuid.uuid4().hex
        with self._lock:
            self._refresh()
            store = self._store()
            store.set(key, entry, expire=self.ttl_s)
            gen = store.incr(_GEN_KEY, default=0)
            if self._generation == gen - 1:  # no other writer in between: extend the matrix in place
                self._keys.append(key)
                row = q.astype(np.float32)[None, :]
                self._matrix = row if self._matrix is None else np.vstack([self._matrix, row])
                self._generation = gen
            else:
                self._matrix = None
            if len(self._keys) > self.max_entries:
                self._evict_oldest(len(self._keys) - self.max_entries)
        return key

    def _evict_oldest(self, n: int) -> None:
        store = self._store()
        dated = sorted(((store.get(k) or {}).get("created", 0.0), k) for k in self._keys)
        for _, k in dated[:n]:
            store.delete(k)
        store.incr(_GEN_KEY, default=0)
        self._matrix = None  # rebuilt without the evicted rows

    def _refusal(self, entry: dict, question: str, evidence: list[str], index_version: str) -> tuple[str, str] | None:
        if entry["index_version"] != str(index_version):
            return "index_changed", f"the index changed since it was cached ({entry['index_version']} -> {index_version})"
        if entry["evidence"] != evidence:
            return "evidence_changed", "the evidence retrieved now differs from the cached answer's evidence"
        conflict = terms_conflict(entry["question"], question)
        if conflict:
            return "terms_differ", f"the questions name different numbers or names: {sorted(conflict)}"
        return None

    def _miss(self, reason: str, sim: float | None = None) -> SemanticLookup:
        self.misses += 1
        return SemanticLookup(False, f"miss: {reason}", sim)

    def stats(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "refusals": self.refusals,
                "refusal_reasons": dict(self.refusal_reasons)}

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._keys)

    def clear(self) -> None:
        with self._lock:
            self._store().clear()
            self._matrix = None

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None
            self._matrix = None
