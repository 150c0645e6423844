"""The reranker's ONNX engine: its scores are CrossEncoder's (torch, float32), auto exports once
and then needs no torch, `onnx` without an export says how to make one, and what the engine
cannot run falls back to torch under auto."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ragkit.errors import ModelLoadError
from ragkit.models import cross_encoder_onnx as ce
from ragkit.retrieve.rerank import CrossEncoderReranker
from ragkit.types import Chunk, ScoredChunk

pytestmark = pytest.mark.integration

LONG = " ".join(f"word{i} protein cell" for i in range(700))  # far past the tiny model's 64 pieces
TEXTS = ["Aspirin inhibits platelet aggregation.", "The capital of France is Paris.", LONG, "a", "",
         "Ürün ß 東京 🚀 naïve café " * 5, "platelets " * 30]


def _cands(texts):
    return [ScoredChunk(Chunk(chunk_id=f"c{i}", source=f"d{i}", text=t, start=0, end=len(t), index=0,
                              content_hash="h"), 1.0 - i / 100, i + 1, {}) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def torch_ce(tiny_ce_dir):
    return CrossEncoderReranker(str(tiny_ce_dir), engine="torch", precision="float32")


@pytest.mark.parametrize("max_length", [None, 24])
def test_onnx_scores_are_cross_encoder_scores(tiny_ce_dir, ce_onnx_root, torch_ce, max_length):
    ref = CrossEncoderReranker(str(tiny_ce_dir), engine="torch", precision="float32", max_length=max_length)
    ours = CrossEncoderReranker(str(tiny_ce_dir), onnx_cache_dir=ce_onnx_root, max_length=max_length)
    q = "what inhibits platelets?"
    got, want = ours.score(q, TEXTS), ref.score(q, TEXTS)
    assert ours.running_engine == "onnx" and ref.running_engine == "torch"
    assert ours.max_length == ref.max_length == (max_length or 64)
    assert got.dtype == np.float32 and np.abs(got - want).max() < 1e-4, (got, want)
    # one by one (no padding partners) gives the same scores as the batch
    single = np.array([ours.score(q, [t])[0] for t in TEXTS])
    assert np.abs(single - got).max() < 1e-5
    out_ours, out_ref = ours.rerank(q, _cands(TEXTS), top_n=5), ref.rerank(q, _cands(TEXTS), top_n=5)
    assert [s.chunk.chunk_id for s in out_ours] == [s.chunk.chunk_id for s in out_ref]


def test_auto_exports_once_and_a_new_process_imports_no_torch(tiny_ce_dir, tmp_path):
    root = tmp_path / "onnx"
    assert ce.find_export(tiny_ce_dir, root) is None
    first = CrossEncoderReranker(str(tiny_ce_dir), onnx_cache_dir=root)
    assert first.available and first.running_engine == "onnx"
    made = ce.find_export(tiny_ce_dir, root)
    assert made is not None
    manifest = json.loads((made.parent / "export.json").read_text())
    assert manifest["check_max_score_diff"] < ce.MAX_SCORE_DIFF and manifest["activation"] == "sigmoid"
    stamp = made.stat().st_mtime_ns
    assert ce.export(tiny_ce_dir, root=root) == made and made.stat().st_mtime_ns == stamp  # a no-op now

    code = (
        "import sys, json; from ragkit.retrieve.rerank import CrossEncoderReranker; "
        "from ragkit.types import Chunk, ScoredChunk; "
        f"r = CrossEncoderReranker({str(tiny_ce_dir)!r}, onnx_cache_dir={str(root)!r}); "
        "c = [ScoredChunk(Chunk(chunk_id=str(i), source='s', text=t, start=0, end=1, index=0, content_hash='h'), 1.0, i + 1, {}) "
        "for i, t in enumerate(['alpha beta', 'gamma'])]; out = r.rerank('alpha', c, 2); "
        "print(json.dumps({'engine': r.running_engine, 'n': len(out), "
        "'heavy': sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"engine": "onnx", "n": 2, "heavy": []}, seen


def test_onnx_engine_without_an_export_says_how_to_make_one(tiny_ce_dir, tmp_path):
    r = CrossEncoderReranker(str(tiny_ce_dir), engine="onnx", onnx_cache_dir=tmp_path / "empty")
    assert r.available is False
    assert "python -m ragkit.models.cross_encoder_onnx --model" in r.last_error and "\n" not in r.last_error
    out = r.rerank("q", _cands(["a b", "c d"]), top_n=1)  # the first-stage order, as for absent weights
    assert [s.chunk.chunk_id for s in out] == ["c0"]
    strict = CrossEncoderReranker(str(tiny_ce_dir), engine="onnx", onnx_cache_dir=tmp_path / "empty", required=True)
    with pytest.raises(ModelLoadError, match="cross_encoder_onnx"):
        strict.load()
    assert ce.find_export(tiny_ce_dir, tmp_path / "empty") is None  # `onnx` never exports by itself


def test_what_the_engine_cannot_run_falls_back_to_torch_under_auto(tiny_ce_dir, tmp_path):
    two = tmp_path / "two-labels"
    shutil.copytree(tiny_ce_dir, two)
    cfg = json.loads((two / "config.json").read_text())
    cfg["id2label"], cfg["label2id"] = {"0": "a", "1": "b"}, {"a": 0, "b": 1}
    (two / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="2 labels"):
        ce.activation(two)
    odd = tmp_path / "tanh"
    shutil.copytree(tiny_ce_dir, odd)
    cfg = json.loads((odd / "config.json").read_text())
    cfg["sentence_transformers"] = {"activation_fn": "torch.nn.modules.activation.Tanh"}
    (odd / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="activation"):
        ce.export(odd, root=tmp_path / "onnx")
    r = CrossEncoderReranker(str(odd), onnx_cache_dir=tmp_path / "onnx")
    assert r.available and r.running_engine == "torch"
    assert ce.find_export(odd, tmp_path / "onnx") is None


def test_identity_activation_is_read_from_the_config(tiny_ce_dir, tmp_path):
    ident = tmp_path / "identity"
    shutil.copytree(tiny_ce_dir, ident)
    cfg = json.loads((ident / "config.json").read_text())
    cfg["sentence_transformers"] = {"activation_fn": "torch.nn.modules.linear.Identity"}
    (ident / "config.json").write_text(json.dumps(cfg))
    assert ce.activation(ident) == "identity"
    ours = CrossEncoderReranker(str(ident), onnx_cache_dir=tmp_path / "onnx")
    ref = CrossEncoderReranker(str(ident), engine="torch", precision="float32")
    got, want = ours.score("q", TEXTS[:3]), ref.score("q", TEXTS[:3])
    assert ours.running_engine == "onnx" and np.abs(got - want).max() < 1e-4
    assert (got < 0).any() or (got > 1).any() or np.abs(got - 1 / (1 + np.exp(-got))).max() > 1e-3  # raw logits


def test_scifact_cross_encoder_ranks_the_same_on_both_engines(scifact_ce, tmp_path):
    from ragkit.evals.beir import iter_corpus, shared_dir

    corpus = shared_dir() / "data" / "scifact" / "corpus.jsonl"
    texts = [f"{t}\n{x}" for _, t, x in (row for _, row in zip(range(12), iter_corpus(corpus)))]
    q = "Aspirin reduces the risk of cardiovascular events."
    ours = CrossEncoderReranker(str(scifact_ce), max_length=256, onnx_cache_dir=tmp_path / "onnx")
    ref = CrossEncoderReranker(str(scifact_ce), max_length=256, engine="torch", precision="float32")
    got, want = ours.score(q, texts), ref.score(q, texts)
    assert ours.running_engine == "onnx" and np.abs(got - want).max() < 1e-4
    assert list(np.argsort(-got)) == list(np.argsort(-want))
