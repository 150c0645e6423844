"""Local embedder (default: all-MiniLM-L6-v2 from the PyPI package), on one of two engines.

`engine` (config key embedder.engine):
- `onnx`: ONNX Runtime over the model exported once by `python -m ragkit.models.embedders.onnx_export`
  (scripts/setup.sh runs it). Imports and loads in about 0.4 s; no torch. float32.
- `torch`: sentence-transformers (torch), with bf16 autocast where the CPU has native bf16.
- `auto` (default): ONNX when the export of these weights exists and onnxruntime is installed,
  else torch (saying once how to export). On a CPU with native bf16 (AVX512-BF16 / AMX), where
  torch's bf16 encodes long chunks 2-3x faster than ONNX float32, a call holding
  `bulk_min_pieces` word pieces or more (an ingest batch) runs on torch bf16 and everything
  smaller (queries, a query's context sentences) on ONNX: the two agree to a cosine of 0.9999
  (tested). Elsewhere ONNX runs everything and torch is never imported.

The constructor is cheap: engines load on the first `embed`. The window and the tokenizer that
counts word pieces load without either engine.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ragkit.errors import ConfigError, ModelLoadError
from ragkit.models.embedders import onnx_cache
from ragkit.models.embedders.model_folder import (
    KNOWN_DIMS,
    hidden_size,
    is_plain_mean_pooling,
    max_seq_length,
    resolve_model_path,
)
from ragkit.models.embedders.torch_runtime import DIRECT_MAX_TEXTS, TorchRuntime  # noqa: F401  (re-exported)
from ragkit.models.precision import check_precision

log = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("auto", "onnx", "torch")
# auto on a native-bf16 CPU: a call with this many word pieces (window-truncated) goes to torch bf16.
# Break-even measured on 2 AMX cores (bench/latency.py): importing sentence-transformers costs 5-7 s,
# repaid after about 57k pieces (ONNX 9.3 s, torch bf16 4.8 s + load, for docs/'s 252 chunks, 44k
# pieces); where bf16 gains less (AVX512-BF16 without AMX: 1.7x) it is repaid later, hence 64k.
BULK_MIN_PIECES = 65536
EXPORT_COMMAND = "python -m ragkit.models.embedders.onnx_export"


class LocalEmbedder:
    """A `ragkit.protocols.Embedder` over a local sentence-transformers model."""

    provider = "local"

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        batch_size: int = 64,
        device: str = "cpu",
        precision: str = "auto",
        engine: str = "auto",
        onnx_cache_dir: str | Path | None = None,
        bulk_min_pieces: int = BULK_MIN_PIECES,
    ):
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self.precision = check_precision(precision, "embedder.precision")  # `compute_precision` is what runs
        if engine not in ENGINES:
            raise ValueError(f"embedder.engine must be one of {ENGINES}, got {engine!r}")
        self.engine = engine
        self.bulk_min_pieces = bulk_min_pieces
        self._cache_root = Path(onnx_cache_dir).expanduser() if onnx_cache_dir is not None else None
        self._path = resolve_model_path(model)
        self._torch = TorchRuntime(model, self._path, batch_size=batch_size, device=device, precision=precision)
        self._onnx = None
        self._tokenizer = None
        self._hinted = False
        self._lock = threading.Lock()

    # ---- cheap facts, no engine -----------------------------------------------------------------
    @property
    def dim(self) -> int:
        known = KNOWN_DIMS.get(self.name.lower())
        if known:
            return known
        if "onnx" in self.engines:
            return int(hidden_size(self._path) or self._onnx_runtime().embed(["dimension probe"]).shape[1])
        return self._torch.dim()

    @property
    def max_tokens(self) -> int:
        """The model's window in its own word pieces, special tokens included."""
        return max_seq_length(self._path) or self._torch.max_seq_length()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text as the model sees them ([CLS]/[SEP] included), untruncated."""
        tok = self._get_tokenizer()
        batch = getattr(tok, "encode_batch_fast", tok.encode_batch)  # no offsets: ~15% faster
        return [len(e) for e in batch(list(texts))]

    def _get_tokenizer(self):
        if self._tokenizer is None:
            path = Path(self._path) / "tokenizer.json"
            if not path.is_file():
                raise ModelLoadError(f"embedder {self.name!r}: no tokenizer.json at {path}")
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(path))
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    # ---- which engine runs ----------------------------------------------------------------------
    @functools.cached_property
    def onnx_file(self) -> Path | None:
        """The ONNX export of this model's current weights, when there is one."""
        return onnx_cache.find_export(self._path, self._cache_root)

    @functools.cached_property
    def engines(self) -> tuple[str, str]:
        """(engine for queries and small calls, engine for calls of `bulk_min_pieces` word pieces or more)."""
        if self.engine == "torch":
            return ("torch", "torch")
        if self.engine == "onnx" and self.precision == "bfloat16":
            raise ConfigError("embedder.precision bfloat16 needs embedder.engine torch or auto (ONNX runs float32)")
        why_not, fix = self._why_not_onnx()
        if why_not is None:
            bulk = "torch" if self.engine == "auto" and self._torch.precision == "bfloat16" else "onnx"
            return ("onnx", bulk)
        if self.engine == "onnx":
            raise ModelLoadError(f"embedder.engine is onnx but {why_not}" + (f": {fix}" if fix else ""))
        if fix and not self._hinted:  # auto falls back to torch; the fixable case is said once, in one line
            self._hinted = True
            log.warning("embedder %s runs on torch (slow to start): %s", self.name, fix)
        return ("torch", "torch")

    def _why_not_onnx(self) -> tuple[str | None, str | None]:
        """(why the ONNX engine cannot run this model here, what would fix it), or (None, None)."""
        if self.device.split(":")[0] != "cpu":
            return f"embedder.device is {self.device!r} and the ONNX engine runs on the CPU", "use engine torch"
        if not Path(self._path).is_dir() or not is_plain_mean_pooling(self._path):
            return f"{self.name!r} is not a local Transformer + mean Pooling folder", None
        if importlib.util.find_spec("onnxruntime") is None:
            return "onnxruntime is not installed", "pip install onnxruntime onnx"
        if self.onnx_file is None:
            where = self._cache_root or onnx_cache.cache_root()
            model = "" if self.name == "all-MiniLM-L6-v2" else f" --model {self.name}"
            return (f"{self.name!r} has no ONNX export of its current weights in {where}",
                    f"run `{EXPORT_COMMAND}{model}` once")
        return None, None

    def _onnx_runtime(self):
        with self._lock:
            if self._onnx is None:
                from ragkit.models.embedders.onnx_runtime import OnnxRuntime

                self._onnx = OnnxRuntime(self._path, self.onnx_file, batch_size=self.batch_size)
            return self._onnx

    def engine_for(self, texts: Sequence[str]) -> str:
        """"onnx" or "torch": the engine that embeds `texts` in one call."""
        small, bulk = self.engines
        window = self.max_tokens
        if bulk == small or len(texts) * window < self.bulk_min_pieces:
            return small
        return bulk if sum(min(n, window) for n in self.count_tokens(texts)) >= self.bulk_min_pieces else small

    # ---- vectors --------------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.engine_for(texts) == "onnx":
            try:
                return self._onnx_runtime().embed(texts)
            except ModelLoadError as exc:  # a corrupt or unreadable export
                if self.engine != "auto":
                    raise
                log.warning("embedder %s runs on torch: %s", self.name, exc)
                self.__dict__["engines"] = ("torch", "torch")  # same vectors (cosine 0.9999), slower start
        return self._torch.embed(texts)

    @property
    def batch_invariant(self) -> bool:
        """Whether a text's vector is the same whatever it is batched with (to 1e-5): float32 on one
        engine yes; bf16 autocast moves it in the 4th decimal with the batch's padding, and so does
        a bulk batch going to torch bf16 while a lone text runs on ONNX."""
        small, bulk = self.engines
        if small != bulk:
            return False
        return small == "onnx" or self._torch.precision == "float32"

    @property
    def compute_precision(self) -> str:
        """"float32" or "bfloat16": what bulk (ingest) batches run at on this machine."""
        return "float32" if self.engines[1] == "onnx" else self._torch.precision

    def close(self) -> None:
        with self._lock:
            if self._onnx is not None:
                self._onnx.close()
            self._onnx = None
        self._torch.close()
        self._tokenizer = None
        for resolved in ("engines", "onnx_file"):  # an export made since is found on the next call
            self.__dict__.pop(resolved, None)
