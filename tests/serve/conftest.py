"""Fixtures of the server tests: a live server on loopback over a small index (tests/serve/helpers.py)."""

from __future__ import annotations

import pytest

from ragkit.serve.state import ServedRAG
from tests.serve.helpers import DOCS, KEYS_ENV, make_config, start, stop, wait_ready, write_docs


@pytest.fixture(scope="module")
def live(tmp_path_factory, embedder_warm):
    home = tmp_path_factory.mktemp("serve-home")
    cfg = make_config(home, ingest_root=str(home / "server-docs"), heartbeat_s=0.05)
    write_docs(home / "uploads", DOCS)
    (home / "server-docs").mkdir()
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([home / "uploads"])
    live = start(cfg, rag, {"RAGKIT_API_KEYS": KEYS_ENV}, home)
    wait_ready(live)
    yield live
    stop(live)
