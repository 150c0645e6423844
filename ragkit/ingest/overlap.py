"""EmbedAhead: an ingest run's chunk texts, embedded on one worker thread while the run goes on.

The ingest thread plans (loads, chunks) and adds each planned document's index texts here; one
worker thread embeds them meanwhile (ONNX Runtime and torch release the GIL while they compute),
and the writer takes the vectors of each write batch once its BM25 vectors and everything else are
ready. Nothing is written to the store or the manifest from here: the crash-safety order of the
write (journal, upsert, delete the old version, commit) is the writer's, unchanged.

Batches. Texts are embedded in windows of up to `window` texts, in the order they were added, each
window in one `embed` call, so the embedder sorts the whole window by length as a bare encode of
the same texts does (a run of up to `window` chunks is embedded in exactly the bare encode's
batches). While the plan is still growing, a batch-invariant embedder may take early batches: the
`batch` longest texts once `4 * batch` are waiting, so embedding starts while the run is still
chunking, in batches as tight as the window's own longest ones.

Each distinct text is embedded once per run (copies of a text share its vector); a vector is kept
until its last use is taken. `threaded=False` embeds the same windows on the calling thread when
they are taken (the sequential path, for comparison).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Sequence

import numpy as np

EMBED_WINDOW = 4096  # texts per embed call, sorted by length as a whole (6 MB of 384-d vectors); the
# write (and the progress of "chunks") advances a window at a time; each more window pads a little more
# (one part-filled batch per length band: 1.5% more word pieces in windows of 1024 on SciFact)


class EmbedAhead:
    def __init__(self, embedder, *, window: int = EMBED_WINDOW, threaded: bool = True, early: bool = True):
        self._embedder = embedder
        self.window = max(1, int(window))
        batch = getattr(embedder, "batch_size", None)
        self.batch = batch if isinstance(batch, int) and batch > 0 else 64
        self.threaded = threaded
        # early batches change which texts share a batch: only where that cannot change a vector
        self.early = threaded and early and bool(getattr(embedder, "batch_invariant", False))
        self._cond = threading.Condition()
        self._pool: list[str] = []  # added, not embedded yet, in order
        self._queued: set[str] = set()  # in the pool, being embedded, or embedded and kept
        self._vecs: dict[str, np.ndarray] = {}
        self._uses: Counter[str] = Counter()  # takes still to come, per text
        self._busy = False
        self._closed = False  # no more texts: the rest of the pool goes in windows
        self._stop = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.embedded = 0  # texts embedded
        self.calls = 0  # embed calls
        self.seconds = 0.0  # inside embed calls
        self.wait_seconds = 0.0  # the taker waited for vectors

    # ---- the ingest thread ------------------------------------------------------------------------
    def add(self, texts: Sequence[str]) -> None:
        """Texts one more document will take, in order (a text may repeat)."""
        with self._cond:
            if self._closed:
                raise RuntimeError("EmbedAhead.add after the vectors were taken")
            for t in texts:
                self._uses[t] += 1
                if t not in self._queued:
                    self._queued.add(t)
                    self._pool.append(t)
            if self.threaded and self._thread is None and self._pool:
                self._thread = threading.Thread(target=self._run, name="ragkit-embed-ahead", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def finish(self) -> None:
        """No more texts: what waits is embedded in windows, in order."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def ready(self, texts: Sequence[str]) -> bool:
        with self._cond:
            return all(t in self._vecs for t in texts)

    def take(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts` (rows in order, float32), waiting for them; closes the input."""
        t0 = time.perf_counter()
        with self._cond:
            if not self._closed:
                self._closed = True
                self._cond.notify_all()
            unknown = [t for t in texts if t not in self._queued]
            if unknown:
                raise KeyError(f"{len(unknown)} text(s) were never added, e.g. {unknown[0][:60]!r}")
            while not all(t in self._vecs for t in texts):
                if self._error is not None:
                    raise self._error
                if not self.threaded:
                    self._embed_next_locked()
                    continue
                self._cond.wait()
            out = np.stack([self._vecs[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)
            for t in texts:
                self._uses[t] -= 1
                if self._uses[t] <= 0:
                    del self._uses[t]
                    self._vecs.pop(t, None)
                    self._queued.discard(t)
        self.wait_seconds += time.perf_counter() - t0
        return out

    def close(self) -> None:
        """Stop the worker; it is joined when idle (one in an embed call ends with that call)."""
        with self._cond:
            self._stop = True
            busy = self._busy
            self._cond.notify_all()
        if self._thread is not None and not busy:
            self._thread.join()

    # ---- the worker -------------------------------------------------------------------------------
    def _has_work(self) -> bool:
        n = len(self._pool)
        return n > 0 and (self._closed or n >= self.window or (self.early and n >= 4 * self.batch))

    def _next_texts(self) -> list[str]:
        if self._closed or len(self._pool) >= self.window:
            texts, self._pool = self._pool[: self.window], self._pool[self.window :]
            return texts
        pool = self._pool  # an early batch: the longest waiting texts, the pool keeps its order
        longest = set(sorted(range(len(pool)), key=lambda i: len(pool[i]))[-self.batch :])
        self._pool = [t for i, t in enumerate(pool) if i not in longest]
        return [pool[i] for i in sorted(longest)]

    def _embed(self, texts: list[str]) -> np.ndarray:
        t0 = time.perf_counter()
        vecs = np.asarray(self._embedder.embed(texts), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(texts):
            raise ValueError(f"the embedder returned {vecs.shape} vectors for {len(texts)} texts")
        self.seconds += time.perf_counter() - t0
        self.embedded += len(texts)
        self.calls += 1
        return vecs

    def _keep(self, texts: list[str], vecs: np.ndarray) -> None:
        for t, v in zip(texts, vecs):
            self._vecs[t] = v

    def _embed_next_locked(self) -> None:
        """Sequential path: embed the next window on the calling thread (the lock is held)."""
        texts = self._next_texts()
        try:
            self._keep(texts, self._embed(texts))
        except BaseException as exc:
            self._error = exc
            raise

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not self._has_work():
                    self._cond.wait()
                if self._stop:
                    return
                texts = self._next_texts()
                self._busy = True
            try:
                vecs = self._embed(texts)
            except BaseException as exc:  # handed to the taker, raised there
                with self._cond:
                    self._error = exc
                    self._busy = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._keep(texts, vecs)
                self._busy = False
                self._cond.notify_all()
