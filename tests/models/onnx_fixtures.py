"""Session fixtures for the local embedder's engines: a real ONNX export of the packaged MiniLM
in a cache folder of the test session's own (the user's cache is never read or written), and one
loaded embedder per engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.models.embedders.local import LocalEmbedder
from ragkit.models.embedders.model_folder import resolve_model_path


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    return Path(resolve_model_path("all-MiniLM-L6-v2"))


@pytest.fixture(scope="session")
def onnx_root(tmp_path_factory, minilm_dir) -> Path:
    """A cache root holding the export of the packaged MiniLM (made once per session, about 8 s)."""
    from ragkit.models.embedders.onnx_export import export

    root = tmp_path_factory.mktemp("xdg-cache") / "ragkit" / "onnx"  # where XDG_CACHE_HOME=<xdg-cache> points
    export(minilm_dir, root=root)
    return root


@pytest.fixture(scope="session")
def onnx_embedder(onnx_root) -> LocalEmbedder:
    e = LocalEmbedder(engine="onnx", onnx_cache_dir=onnx_root)
    e.embed(["warm up"])
    return e


@pytest.fixture(scope="session")
def torch_embedder() -> LocalEmbedder:
    """sentence-transformers in float32: the reference the ONNX engine is held to."""
    e = LocalEmbedder(engine="torch", precision="float32")
    e.embed(["warm up"])
    return e
