"""What one server process holds: the RAG (it owns the embedded index), the keys, the limiter, the
metrics, the ingest jobs, and whether it is ready or draining."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ragkit.config import RagkitConfig
from ragkit.rag import RAG
from ragkit.serve.keys import KeyRing
from ragkit.serve.metrics import Metrics
from ragkit.serve.ratelimit import RateLimiter

log = logging.getLogger("ragkit.serve")


class ServedRAG(RAG):
    """A RAG whose parts may be used from any request thread.

    The manifest's SQLite connection belongs to the thread that opened it, so each thread gets
    its own connection to the same file (WAL: readers beside the one writer). Writes (ingest,
    delete) all run on the server's one writer thread."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._local = threading.local()

    @property
    def manifest(self):
        from ragkit.ingest.manifest import Manifest

        m = getattr(self._local, "manifest", None)
        if m is None:
            m = self._local.manifest = Manifest(self.cfg.index_path / "manifest.sqlite")
        return m

    def read_manifest(self):
        return self.manifest


@dataclass
class ServerState:
    cfg: RagkitConfig
    rag: RAG
    keys: KeyRing
    metrics: Metrics = field(default_factory=Metrics)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    ready: threading.Event = field(default_factory=threading.Event)
    draining: threading.Event = field(default_factory=threading.Event)
    not_ready_reason: str = "starting: loading the index and models"
    jobs: object = None  # ragkit.serve.jobs.JobRunner, set by the app factory

    @property
    def serve_dir(self) -> Path:
        return self.cfg.home_path / "serve"

    @property
    def uploads_dir(self) -> Path:
        s = self.cfg.serve.uploads_dir
        return Path(s).expanduser().resolve() if s else self.cfg.home_path / "uploads"

    def warm_up(self) -> None:
        """Open the index and load the models, then say ready (readyz 503 until then)."""
        try:
            rag = self.rag
            if rag.store.exists():
                rag.search("warm up", top_k=1)
            else:
                rag.embedder.embed(["warm up"])
            self.not_ready_reason = ""
            self.ready.set()
            log.info("ragkit serve: ready")
        except Exception as exc:  # noqa: BLE001  (reported by readyz; the process stays up for healthz)
            self.not_ready_reason = f"warm-up failed: {type(exc).__name__}: {exc}"
            log.error("ragkit serve: %s", self.not_ready_reason)
