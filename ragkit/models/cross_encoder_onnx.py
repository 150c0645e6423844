"""A cross-encoder on ONNX Runtime: the reranker's engine that needs no torch at query time.

    python -m ragkit.models.cross_encoder_onnx --model PATH [--force]

`export(model_dir)` writes the model's classification logits graph (float32, opset 17, dynamic
batch and sequence) beside the embedder's exports (onnx_cache.py), in a folder keyed by the
weights, and checks it against sentence-transformers' `CrossEncoder.predict` (scores within
MAX_SCORE_DIFF, or nothing is installed). `OnnxCrossEncoder` scores (query, passage) pairs as
`CrossEncoder.predict` does: the model's tokenizer.json, pairs truncated longest-first to the
window, the one logit through the model's activation (sigmoid by default for one label;
identity when its config says so). A model with more than one label, or another activation, is
not exported (the torch engine runs it). Importing this module imports neither torch nor onnx.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ragkit.errors import ModelLoadError
from ragkit.models.embedders import onnx_cache
from ragkit.models.embedders.onnx_runtime import length_batches

RECIPE = "ce1"  # bump when the exported file changes
OPSET = 17
MAX_SCORE_DIFF = 1e-4  # export check: |ONNX - CrossEncoder.predict|, float32 both
CHECK_PAIRS = [
    ("What is the default RRF constant?", "The constant k is retrieval.rrf_k, 60 by default."),
    ("a", ""),
    ("Ürün ß 東京 🚀 naïve café?", "a longer passage with unicode and numbers 3.14159 " * 80),  # past the window
]
_ACTIVATIONS = {"torch.nn.modules.activation.Sigmoid": "sigmoid", "torch.nn.modules.linear.Identity": "identity"}


def activation(model_dir: str | Path) -> str:
    """"sigmoid" or "identity": what CrossEncoder applies to the model's one logit. Raises
    ModelLoadError for what the ONNX engine does not run (several labels, another activation)."""
    cfg = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    labels = cfg.get("num_labels") or len(cfg.get("id2label") or {0: ""})
    if labels != 1:
        raise ModelLoadError(f"{model_dir}: {labels} labels; the ONNX reranker runs one-logit cross-encoders only")
    path = ((cfg.get("sentence_transformers") or {}).get("activation_fn")
            or cfg.get("sbert_ce_default_activation_function") or "torch.nn.modules.activation.Sigmoid")
    if path not in _ACTIVATIONS:
        raise ModelLoadError(f"{model_dir}: activation {path!r} is not one the ONNX reranker runs")
    return _ACTIVATIONS[path]


def window(model_dir: str | Path) -> int:
    """The pair window CrossEncoder uses by default: the tokenizer's model_max_length, capped by
    the model's position embeddings."""
    model_dir = Path(model_dir)
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    limit = int(cfg.get("max_position_embeddings") or 512)
    try:
        tok_cfg = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
        declared = int(tok_cfg.get("model_max_length") or limit)
    except (OSError, ValueError, TypeError):
        declared = limit
    return min(declared, limit)


def export_dir(model_dir: str | Path, root: Path | None = None) -> Path:
    base = onnx_cache.export_dir(model_dir, root)
    return base.with_name(f"{base.name}-{RECIPE}")


def find_export(model_dir: str | Path, root: Path | None = None) -> Path | None:
    """The checked export of `model_dir`'s current weights, or None."""
    if not Path(model_dir).is_dir() or onnx_cache.weights_file(model_dir) is None:
        return None
    try:
        d = export_dir(model_dir, root)
    except OSError:
        return None
    model = d / onnx_cache.MODEL_FILE
    return model if model.is_file() and (d / onnx_cache.MANIFEST_FILE).is_file() else None


class OnnxCrossEncoder:
    """(query, passage) scores from an exported cross-encoder. Loads on the first `predict`."""

    def __init__(self, model_dir: str | Path, onnx_file: str | Path, *, max_length: int | None = None,
                 batch_size: int = 8, threads: int | None = None):
        self.model_dir = Path(model_dir)
        self.onnx_file = Path(onnx_file)
        self.max_length = int(max_length) if max_length else window(self.model_dir)
        self.batch_size = max(1, batch_size)
        self.threads = threads
        self.activation = activation(self.model_dir)
        self._session = None
        self._tokenizer = None
        self._inputs: list[str] = []
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                    tok.no_padding()
                    tok.enable_truncation(self.max_length, strategy="longest_first")
                    opts = ort.SessionOptions()
                    opts.log_severity_level = 3
                    if self.threads:
                        opts.intra_op_num_threads = self.threads
                    session = ort.InferenceSession(str(self.onnx_file), opts, providers=["CPUExecutionProvider"])
                except Exception as exc:
                    raise ModelLoadError(f"cannot load the ONNX reranker {self.onnx_file}: {exc}. Export it "
                                         "again: python -m ragkit.models.cross_encoder_onnx --force") from None
                self._inputs = [i.name for i in session.get_inputs()]
                self._tokenizer, self._session = tok, session
            return self._session

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        session = self._load()
        encodings = self._tokenizer.encode_batch([(q, p) for q, p in pairs])
        out = np.zeros(len(pairs), dtype=np.float32)
        for rows in length_batches([len(e.ids) for e in encodings], self.batch_size):
            batch = [encodings[i] for i in rows]
            width = max(len(e.ids) for e in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask, types = np.zeros_like(ids), np.zeros_like(ids)
            for r, e in enumerate(batch):
                ids[r, : len(e.ids)], mask[r, : len(e.ids)], types[r, : len(e.ids)] = e.ids, 1, e.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            out[rows] = session.run(["logits"], {k: v for k, v in feeds.items() if k in self._inputs})[0][:, 0]
        return out

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Scores as `CrossEncoder.predict` gives them (after the model's activation), float32."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        z = self.logits(pairs).astype(np.float64)
        return (1.0 / (1.0 + np.exp(-z)) if self.activation == "sigmoid" else z).astype(np.float32)

    def close(self) -> None:
        with self._lock:
            self._session = self._tokenizer = None


def export(model_dir: str | Path, *, root: str | Path | None = None, force: bool = False) -> Path:
    """Export `model_dir` (a one-logit sentence-transformers CrossEncoder folder) to its cache
    folder and check it; returns model.onnx. A no-op when the checked export exists (unless
    `force`). Needs torch and transformers; the engine itself needs neither."""
    model_dir = Path(model_dir)
    activation(model_dir)  # refuse what the engine cannot run before any work
    if onnx_cache.weights_file(model_dir) is None:
        raise ModelLoadError(f"{model_dir}: no {' or '.join(onnx_cache.WEIGHT_FILES)} to export")
    root = Path(root) if root is not None else None
    target = export_dir(model_dir, root)
    if not force and find_export(model_dir, root) is not None:
        return target / onnx_cache.MODEL_FILE
    target.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target))
    try:
        versions = _torch_export(model_dir, work / onnx_cache.MODEL_FILE)
        diff = check_against_cross_encoder(model_dir, work / onnx_cache.MODEL_FILE)
        if diff > MAX_SCORE_DIFF:
            raise ModelLoadError(f"{model_dir}: the ONNX reranker disagrees with CrossEncoder (score difference "
                                 f"{diff:.2e} > {MAX_SCORE_DIFF}); nothing was installed")
        manifest = {"source": str(model_dir.resolve()), "recipe": RECIPE, "opset": OPSET, "output": "logits",
                    "activation": activation(model_dir), "window": window(model_dir),
                    "check_max_score_diff": float(diff), "seconds": round(time.perf_counter() - t0, 2),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **versions}
        os.replace(work / onnx_cache.MODEL_FILE, target / onnx_cache.MODEL_FILE)
        (work / onnx_cache.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(work / onnx_cache.MANIFEST_FILE, target / onnx_cache.MANIFEST_FILE)  # last: marks it checked
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / onnx_cache.MODEL_FILE


def _torch_export(model_dir: Path, path: Path) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), attn_implementation="eager", dtype=torch.float32).eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    dummy = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long),
             torch.zeros(2, 16, dtype=torch.long))
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(model), dummy, str(path), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return {"torch": torch.__version__, "transformers": transformers.__version__}


def check_against_cross_encoder(model_dir: Path, onnx_file: Path) -> float:
    """The largest |score difference| between CrossEncoder.predict (float32) and the export on
    CHECK_PAIRS, scored together and one by one."""
    from sentence_transformers import CrossEncoder

    ref_model = CrossEncoder(str(model_dir), device="cpu", local_files_only=True)
    ours = OnnxCrossEncoder(model_dir, onnx_file)
    worst = 0.0
    for batch in [CHECK_PAIRS] + [[p] for p in CHECK_PAIRS]:
        ref = np.asarray(ref_model.predict(batch, show_progress_bar=False, convert_to_numpy=True), dtype=np.float64)
        worst = max(worst, float(np.abs(ref.reshape(-1) - ours.predict(batch)).max()))
    ours.close()
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ragkit.models.cross_encoder_onnx", description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="rerank.model: a local CrossEncoder folder")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    try:
        t0 = time.perf_counter()
        had = find_export(args.model) is not None
        path = export(Path(args.model).expanduser(), force=args.force)
    except (ModelLoadError, OSError) as exc:
        print(f"onnx export: {exc}", file=sys.stderr)
        return 1
    print(f"reranker {args.model}: {'already exported' if had and not args.force else f'exported in {time.perf_counter() - t0:.1f} s'}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
