"""Shared fixtures. Heavy models load once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if not d.is_dir():
        pytest.skip(f"shared data folder not found at {d} (set RAGKIT_SHARED_DIR)")
    return d


@pytest.fixture(scope="session")
def embedder_warm():
    """Import torch + load MiniLM once per session so per-test ingests are quick."""
    from ragkit.models.embedders.local import LocalEmbedder

    e = LocalEmbedder()
    e.embed(["warm up"])
    return e
