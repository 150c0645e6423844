"""Export a local sentence-transformers model's transformer to ONNX, once, for the ONNX engine.

    python -m ragkit.models.embedders.onnx_export [--model all-MiniLM-L6-v2 | PATH] [--force]

scripts/setup.sh runs it after install. It writes `model.onnx` (float32, opset 17, dynamic batch
and sequence axes; input_ids, attention_mask[, token_type_ids] -> last_hidden_state) and
`export.json` into the cache folder keyed by the weights (see onnx_cache.py), fuses BERT's
attention and layer norms into ONNX Runtime's own operators, checks the file
against torch on a few texts (mean-pooled cosine >= 0.99999, or nothing is installed), and does
nothing when that folder already holds an export: running it again costs one stat of the weights.
Needs torch and transformers (both ragkit dependencies); the ONNX engine itself needs neither.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from ragkit.errors import ModelLoadError
from ragkit.models.embedders import onnx_cache
from ragkit.models.embedders.model_folder import (
    is_plain_mean_pooling,
    max_seq_length,
    resolve_model_path,
)

OPSET = 17
MIN_COSINE = 0.99999  # export check: ONNX Runtime against torch, float32 both
CHECK_TEXTS = [
    "What is the default RRF constant?",
    "a",
    "",
    "Ürün ß 東京 🚀 naïve café, a longer sentence with unicode and numbers 3.14159 " * 40,  # past the window
]


def export(model_dir: str | Path, out: str | Path | None = None, *, root: str | Path | None = None,
           force: bool = False) -> Path:
    """Export `model_dir` (a sentence-transformers folder: Transformer -> mean Pooling) to
    `out`/model.onnx; by default `out` is its folder in the cache (`root`, default
    onnx_cache.cache_root()), keyed by the weights, where `LocalEmbedder` finds it. Returns the
    model.onnx path. Idempotent: an existing export is returned as it is unless `force`."""
    model_dir = Path(model_dir)
    if not is_plain_mean_pooling(model_dir) or onnx_cache.weights_file(model_dir) is None:
        raise ModelLoadError(
            f"{model_dir}: not a sentence-transformers folder with Transformer -> mean Pooling and "
            f"{' or '.join(onnx_cache.WEIGHT_FILES)}; the ONNX engine cannot run it (use embedder.engine: torch)")
    root = Path(root) if root is not None else None
    target = Path(out) if out is not None else onnx_cache.export_dir(model_dir, root)
    model_file, manifest_file = target / onnx_cache.MODEL_FILE, target / onnx_cache.MANIFEST_FILE
    key = onnx_cache.weights_key(model_dir, root)
    if model_file.is_file() and not force and _manifest_key(manifest_file) == key:
        return model_file
    target.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target))
    try:
        inputs, versions = _torch_export(model_dir, work / "raw.onnx")
        fused = _fuse(model_dir, work / "raw.onnx", work / onnx_cache.MODEL_FILE)
        cosine = check_against_torch(model_dir, work / onnx_cache.MODEL_FILE)
        if cosine < MIN_COSINE:
            raise ModelLoadError(f"{model_dir}: the ONNX export disagrees with torch (cosine {cosine:.6f} < "
                                 f"{MIN_COSINE}); nothing was installed")
        weights = onnx_cache.weights_file(model_dir)
        manifest = {
            "source": str(model_dir.resolve()),
            "weights": weights.name,
            "weights_sha256": onnx_cache.file_sha256(weights, root),
            "key": key,
            "recipe": onnx_cache.RECIPE_VERSION,
            "opset": OPSET,
            "inputs": inputs,
            "output": "last_hidden_state",
            "fused": fused,
            "max_seq_length": max_seq_length(model_dir),
            "check_min_cosine": round(cosine, 9),
            "seconds": round(time.perf_counter() - t0, 2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **versions,
        }
        os.replace(work / onnx_cache.MODEL_FILE, model_file)
        tmp = work / onnx_cache.MANIFEST_FILE
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(tmp, manifest_file)  # last: a folder with a manifest holds a checked model
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return model_file


def _manifest_key(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("key")
    except (OSError, ValueError, AttributeError):
        return None


def _load_transformer(model_dir: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    wants_types = "token_type_ids" in inspect.signature(model.forward).parameters
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if wants_types else [])

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(names, args))).last_hidden_state

    return LastHidden(model), names


def _torch_export(model_dir: Path, path: Path) -> tuple[list[str], dict]:
    import torch
    import transformers

    wrapper, names = _load_transformer(model_dir)
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) if n != "token_type_ids" else torch.zeros(2, 16, dtype=torch.long)
                  for n in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(wrapper, dummy, str(path), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return names, {"torch": torch.__version__, "transformers": transformers.__version__}


def _fuse(model_dir: Path, raw: Path, out: Path) -> dict[str, int]:
    """BERT's attention, layer norms and GELU fused into ONNX Runtime's contrib ops (its
    transformer optimizer, shipped with onnxruntime): about 10% faster on CPU than the plain
    export, same vectors (checked after). Any other architecture, or a failure: the plain graph."""
    cfg = json.loads((model_dir / "config.json").read_text())
    if cfg.get("model_type") == "bert":
        try:
            from onnxruntime.transformers import optimizer

            model = optimizer.optimize_model(str(raw), model_type="bert", num_heads=int(cfg["num_attention_heads"]),
                                             hidden_size=int(cfg["hidden_size"]), opt_level=1)
            model.save_model_to_file(str(out))
            return {k: v for k, v in model.get_fused_operator_statistics().items() if v}
        except Exception:
            pass
    os.replace(raw, out)
    return {}


def check_against_torch(model_dir: Path, onnx_file: Path) -> float:
    """The smallest cosine between the torch and ONNX Runtime mean-pooled vectors of CHECK_TEXTS,
    embedded one by one and as one padded batch."""
    import torch

    from ragkit.models.embedders.onnx_runtime import OnnxRuntime

    wrapper, names = _load_transformer(model_dir)
    runtime = OnnxRuntime(model_dir, onnx_file)
    worst = 1.0
    for batch in [CHECK_TEXTS] + [[t] for t in CHECK_TEXTS]:
        feeds = runtime.feeds(batch)
        with torch.inference_mode():
            hidden = wrapper(*(torch.from_numpy(feeds[n]) for n in names)).numpy()
        ref = runtime.pool(hidden, feeds["attention_mask"])
        got = runtime.embed(batch)
        worst = min(worst, float((ref * got).sum(1).min()))
    runtime.close()
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ragkit.models.embedders.onnx_export", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="all-MiniLM-L6-v2", help="embedder.model: the bundled id or a local folder")
    ap.add_argument("--force", action="store_true", help="export again even when the cache holds an export")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        path = resolve_model_path(args.model)
        if not Path(path).is_dir():
            raise ModelLoadError(f"embedder model {args.model!r} is not a local folder; export needs its files")
        existing = onnx_cache.find_export(path)
        t0 = time.perf_counter()
        model_file = export(path, force=args.force)
    except ModelLoadError as exc:
        print(f"onnx export: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        what = "already exported" if existing and not args.force else f"exported in {time.perf_counter() - t0:.1f} s"
        print(f"embedder {args.model}: {what}: {model_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
