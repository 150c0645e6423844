"""With the ONNX engine, `import ragkit`, building a RAG, ingesting a few documents and searching
never import torch, transformers or sentence-transformers (checked in fresh processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers")

SCRIPT = r"""
import json, sys
heavy = lambda: sorted(m for m in {heavy!r} if m in sys.modules)
seen = {{}}
import ragkit
seen["import ragkit"] = heavy()
from ragkit.rag import RAG
cfg = {{"home": {home!r}, "rerank": {{"enabled": False}}}}
with RAG(cfg) as rag:
    seen["RAG(cfg)"] = heavy()
    if {ingest!r}:
        report = rag.ingest([{corpus!r}])
        seen["ingest"] = heavy()
    hits = rag.search("Which port does the Qdrant server listen on?", top_k=3).results
    seen["search"] = heavy()
    seen["engines"] = list(rag.embedder.engines)
    seen["top"] = hits[0].chunk.text if hits else ""
print(json.dumps(seen))
"""


def _run(tmp_path: Path, onnx_root: Path, ingest: bool) -> dict:
    code = SCRIPT.format(heavy=HEAVY, home=str(tmp_path / "home"), corpus=str(tmp_path / "corpus"), ingest=ingest)
    env = {**os.environ, "XDG_CACHE_HOME": str(onnx_root.parent.parent), "HF_HUB_OFFLINE": "1"}
    env.pop("RAGKIT_CONFIG", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.integration
def test_search_with_the_onnx_engine_imports_no_torch(tmp_path, onnx_root):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "server.md").write_text("# Server\n\nThe Qdrant server listens on port 6333 for HTTP.\n")
    (corpus / "edge.md").write_text("# Edge\n\nQdrant Edge runs the engine in-process, with no server.\n")
    (corpus / "bm25.md").write_text("# BM25\n\nSparse vectors hold the BM25 term weights of each chunk.\n")
    first = _run(tmp_path, onnx_root, ingest=True)  # a few chunks: the ONNX engine on any CPU
    assert first["engines"][0] == "onnx"
    assert first["import ragkit"] == first["RAG(cfg)"] == first["ingest"] == first["search"] == [], first
    cold = _run(tmp_path, onnx_root, ingest=False)  # a new process, the index already there
    assert cold["search"] == [], cold
    assert "6333" in cold["top"]
