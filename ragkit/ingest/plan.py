"""What one ingest run plans for a root (`Plan`: documents to write, skips, failures), and the
small helpers the pipeline shares: fault injection for the crash tests, file hashing, failure
reasons."""

from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from ragkit.errors import IngestError
from ragkit.ingest.manifest import DocEntry
from ragkit.ingest.overlap import EmbedAhead
from ragkit.types import Chunk, Document


@dataclass
class PlannedDoc:
    doc: Document
    root: str
    origin: str
    chunks: list[Chunk]
    update: bool  # an older version is in the index
    old_chunks: int = 0  # how many points the older version had


@dataclass
class Plan:
    root: str
    write: list[PlannedDoc] = field(default_factory=list)
    unchanged: int = 0
    seen: set[str] = field(default_factory=set)  # sources found in this run (kept from removal)
    failed_origins: set[str] = field(default_factory=set)  # files whose documents are all kept
    kept_folders: list[str] = field(default_factory=list)  # folders that could not be listed
    failures: list[tuple[str, str]] = field(default_factory=list)
    failed: int = 0  # files and corpus lines that failed
    claimed: dict[str, str] = field(default_factory=dict)  # source -> file, planned in this run
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (file, source it is stored as)
    pending: list[tuple[Document, str, DocEntry | None]] = field(default_factory=list)  # to chunk
    texts: dict[str, str] = field(default_factory=dict)  # chunk id -> its index text
    ahead: EmbedAhead | None = None  # embeds the planned texts meanwhile

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()


def fault_point(name: str) -> None:
    """Fault injection for the crash tests: RAGKIT_FAULT=name[:n] SIGKILLs this process the n-th
    time (default 1st) execution reaches the named point. Unset, it costs one dict lookup."""
    spec = os.environ.get("RAGKIT_FAULT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    seen = int(os.environ.get("RAGKIT_FAULT_SEEN", "0")) + 1
    os.environ["RAGKIT_FAULT_SEEN"] = str(seen)
    if seen >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def failure_reason(exc: Exception) -> str:
    """A failure's reason as the report gives it."""
    return exc.reason if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
