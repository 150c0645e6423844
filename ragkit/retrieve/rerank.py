"""Cross-encoder reranker (sentence-transformers `CrossEncoder`), with an explicit offline fallback.

The constructor is cheap; the weights load on the first `rerank`. The model is any
sentence-transformers CrossEncoder: a local directory, or a hub id that must already be in the
Hugging Face cache — loading never touches the network. Whether the weights are there is looked
up first, without importing torch: missing weights cost nothing.

`engine` (config key rerank.engine), as the embedder's:
- `onnx`: ONNX Runtime over the checked export of these weights (models/cross_encoder_onnx.py);
  no torch imported. Without the export the reranker is unavailable, and says how to export.
- `torch`: sentence-transformers' CrossEncoder (torch), bf16 autocast where the CPU has it.
- `auto` (default): ONNX when the export exists; when it does not, the weights are exported once
  (checked against CrossEncoder; about 10-20 s on 2 cores, in place of the 5-9 s that loading
  torch costs every cold process) and ONNX runs from then on. A model the ONNX engine cannot run
  (several labels, another activation) or a failed export: torch.

When the weights cannot be loaded, `available` is False, `last_error` holds one line that says
why and names the config key `rerank.model`, and `rerank` returns the first-stage order cut to
top_n; with `required=True` it raises `ModelLoadError` with that line instead. Nothing is logged:
the retriever puts the line in its result's `rerank_note`, the one place it is said.

Final order (`combine`):
  rrf      — reciprocal rank fusion of the reranker's ranking and the first-stage ranking (default)
  replace  — the reranker's ranking alone
  weighted — weight × minmax(reranker scores) + (1 - weight) × minmax(first-stage scores)
The candidates' input order is taken as the first-stage ranking. Each returned ScoredChunk keeps
the candidate's per-stage scores plus "first_stage", "rerank" and "final" (= its `score`), and
rank 1..n.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from ragkit.errors import ModelLoadError
from ragkit.models.hub_cache import cached_model_file
from ragkit.models.precision import autocast, check_precision, resolve_precision
from ragkit.retrieve.fusion import minmax, rrf
from ragkit.types import ScoredChunk

if TYPE_CHECKING:
    from ragkit.config.data import RerankConfig

log = logging.getLogger(__name__)

DEFAULT_MODEL = "cross-encoder/ms-marco-MiniLM-L-6-v2"
Combine = Literal["rrf", "replace", "weighted"]
_COMBINES = ("rrf", "replace", "weighted")


NO_WEIGHTS = "no reranker weights"  # how every message about absent weights starts


class WeightsAbsent(Exception):
    """No weights where `rerank.model` points (found out without importing torch)."""


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~", ".\\")) or (len(model) > 2 and model[1] == ":") or model == "."


def weights_message(model: str, reason: str, absent: bool) -> str:
    """The one line for unloadable reranker weights: what failed, and the config key that fixes it."""
    what = f"{NO_WEIGHTS} for {model!r}" if absent else f"the reranker weights for {model!r} could not be loaded"
    return f"{what} ({reason}); set rerank.model to a local CrossEncoder directory"


def locate_weights(model: str, cache_folder: str | None = None) -> str:
    """What to hand to `CrossEncoder`: the local directory, or the hub id when the Hugging Face
    cache holds it. Raises WeightsAbsent (saying what is missing) otherwise. Imports no torch."""
    local = Path(model).expanduser()
    if local.exists():
        if not local.is_dir():
            raise WeightsAbsent(f"{local} is a file, not a model directory")
        if not (local / "config.json").is_file():
            raise WeightsAbsent(f"{local} holds no config.json")
        return str(local)
    if _looks_like_path(model):
        raise WeightsAbsent(f"no such directory: {local}")
    try:
        found = cached_model_file(model, "config.json", cache_folder)
    except ValueError:
        raise WeightsAbsent("not a local directory nor a Hugging Face model id") from None
    if found is None:
        raise WeightsAbsent("not in the Hugging Face cache")
    return model


class CrossEncoderReranker:
    """`Reranker` backend over a sentence-transformers CrossEncoder."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        combine: Combine = "rrf",
        rrf_k: int = 60,
        weight: float = 0.5,
        device: str = "cpu",
        precision: str = "auto",
        required: bool = False,
        cache_folder: str | None = None,
        engine: str = "auto",
        onnx_cache_dir: str | Path | None = None,
    ):
        if engine not in ("auto", "onnx", "torch"):
            raise ValueError(f"rerank.engine must be one of auto, onnx, torch, got {engine!r}")
        if combine not in _COMBINES:
            raise ValueError(f"rerank.combine must be one of {_COMBINES}, got {combine!r}")
        if batch_size < 1:
            raise ValueError(f"rerank.batch_size must be >= 1, got {batch_size}")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"rerank.weight must be in [0, 1], got {weight}")
        self.model_name = model
        self.batch_size = batch_size
        self.combine: Combine = combine
        self.rrf_k = rrf_k
        self.weight = weight
        self.device = device
        self.precision = check_precision(precision, "rerank.precision")  # `compute_precision` is what runs
        self.required = required
        self.cache_folder = cache_folder
        self.engine = engine
        self._onnx_root = Path(onnx_cache_dir).expanduser() if onnx_cache_dir is not None else None
        self.running_engine: Literal["onnx", "torch"] | None = None  # what `load` picked
        self._max_length = max_length
        self._model: Any = None
        self._lock = threading.Lock()
        self.status: Literal["not_loaded", "ready", "unavailable"] = "not_loaded"
        self.last_error: str | None = None

    @classmethod
    def from_config(cls, cfg: "RerankConfig", *, device: str = "cpu") -> "CrossEncoderReranker":
        return cls(
            cfg.model,
            batch_size=cfg.batch_size,
            max_length=cfg.max_length,
            combine=cfg.combine,
            rrf_k=cfg.rrf_k,
            weight=cfg.weight,
            device=device,
            precision=cfg.precision,
            required=cfg.required,
            engine=cfg.engine,
        )

    # ---- loading --------------------------------------------------------------------------------
    def load(self) -> Any | None:
        """The loaded CrossEncoder, or None when the weights are unavailable (`last_error` says why).

        Raises ModelLoadError instead when `required`. A failure is remembered: later calls do not
        retry until `close()`.
        """
        with self._lock:
            if self.status == "ready":
                return self._model
            if self.status == "unavailable":
                if self.required:
                    raise ModelLoadError(self._required_message())
                return None
            try:
                self._model = self._load_cross_encoder()
                self.status = "ready"
                self.last_error = None
                return self._model
            except WeightsAbsent as exc:
                self.last_error = weights_message(self.model_name, str(exc), absent=True)
            except Exception as exc:  # present, but they do not load
                self.last_error = weights_message(self.model_name, _first_line(exc), absent=False)
            self.status = "unavailable"
            log.debug(self.last_error)
            if self.required:
                raise ModelLoadError(self._required_message()) from None
            return None

    def _required_message(self) -> str:
        return f"{self.last_error or 'reranker unavailable'}; rerank.required is true, so this is an error"

    def _load_cross_encoder(self):
        spec = locate_weights(self.model_name, self.cache_folder)
        if self.engine != "torch":
            onnx = self._load_onnx(spec)
            if onnx is not None:
                self.running_engine = "onnx"
                return onnx
        self.running_engine = "torch"
        from sentence_transformers import CrossEncoder  # heavy: torch + transformers

        kwargs: dict[str, Any] = {"device": self.device, "local_files_only": True}
        if self._max_length is not None:
            kwargs["max_length"] = self._max_length
        if self.cache_folder is not None:
            kwargs["cache_folder"] = self.cache_folder
        with _quiet_transformers():
            return CrossEncoder(spec, **kwargs)

    def _load_onnx(self, spec: str):
        """The ONNX engine over `spec`'s export (made now under auto when absent), or None when
        auto falls back to torch. Under `onnx`, a missing export is an error saying how to make it."""
        from ragkit.models import cross_encoder_onnx as ce

        folder = _local_folder(spec, self.cache_folder)
        onnx_file = ce.find_export(folder, self._onnx_root) if folder is not None else None
        if onnx_file is None and self.engine == "onnx":
            raise ModelLoadError(f"rerank.engine is onnx but {self.model_name!r} has no ONNX export; run "
                                 f"python -m ragkit.models.cross_encoder_onnx --model {folder or self.model_name}")
        if folder is None or importlib.util.find_spec("onnxruntime") is None:
            return None
        try:
            if onnx_file is None:  # auto: once per weights, then every cold process skips torch
                log.info("exporting the reranker %s to ONNX once (later runs load it without torch)", folder)
                onnx_file = ce.export(folder, root=self._onnx_root)
            return ce.OnnxCrossEncoder(folder, onnx_file, max_length=self._max_length, batch_size=self.batch_size)
        except ModelLoadError as exc:
            if self.engine == "onnx":
                raise
            log.info("reranker on torch: %s", exc)
            return None

    @functools.cached_property
    def compute_precision(self) -> str:
        """"float32" or "bfloat16": the configured precision, with `auto` resolved for this machine."""
        return resolve_precision(self.precision, self.device)

    @property
    def available(self) -> bool:
        """True when the weights load (loads them on first access); False when they cannot."""
        try:
            return self.load() is not None
        except ModelLoadError:
            return False

    @property
    def max_length(self) -> int | None:
        """Word pieces per (query, passage) pair: the configured value, else the model's own window."""
        if self._max_length is not None:
            return self._max_length
        model = self._model if self.status == "ready" else None
        if model is None:
            return None
        return int(model.max_length) if self.running_engine == "onnx" else int(model.max_seq_length)

    # ---- scoring --------------------------------------------------------------------------------
    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Cross-encoder scores of (query, passage) pairs, batched and truncated to the window.

        Raises ModelLoadError when the weights are unavailable (scores cannot be made up).
        """
        if not passages:
            return np.zeros(0, dtype=np.float32)
        model = self.load()
        if model is None:
            raise ModelLoadError(self.last_error or "reranker unavailable")
        if self.running_engine == "onnx":
            return model.predict([(query, p) for p in passages])
        with autocast(self.compute_precision, self.device):
            scores = model.predict(
                [(query, p) for p in passages],
                batch_size=self.batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return np.asarray(scores, dtype=np.float32).reshape(-1)

    def rerank(self, query: str, candidates: Sequence[ScoredChunk], top_n: int) -> list[ScoredChunk]:
        if top_n < 1:
            raise ValueError(f"top_n must be >= 1, got {top_n}")
        cands = list(candidates)
        if not cands:
            return []
        model = self.load()
        first = np.array([c.score for c in cands], dtype=np.float64)
        if model is None:  # weights unavailable: first-stage order, marked as not reranked
            return [
                _restamp(c, float(c.score), r, {"first_stage": float(c.score), "final": float(c.score)})
                for r, c in enumerate(cands[:top_n], start=1)
            ]
        ce = self.score(query, [c.chunk.text for c in cands]).astype(np.float64)
        final, order = combine_scores(first, ce, self.combine, rrf_k=self.rrf_k, weight=self.weight)
        out = []
        for r, i in enumerate(order[:top_n], start=1):
            c = cands[i]
            extra = {"first_stage": float(first[i]), "rerank": float(ce[i]), "final": float(final[i])}
            out.append(_restamp(c, float(final[i]), r, extra))
        return out

    def close(self) -> None:
        """Release the model; the next use loads (or retries loading) again."""
        with self._lock:
            if self.running_engine == "onnx" and self._model is not None:
                self._model.close()
            self._model = None
            self.running_engine = None
            self.status = "not_loaded"
            self.last_error = None


def combine_scores(
    first_stage: np.ndarray,
    rerank: np.ndarray,
    combine: str,
    *,
    rrf_k: int = 60,
    weight: float = 0.5,
) -> tuple[np.ndarray, list[int]]:
    """(final score per candidate, candidate indices best first). The first stage is in rank order.

    Ties in `rrf` go to the reranker's order (its ranking is listed first), then first-stage order.
    """
    n = len(first_stage)
    if combine == "replace":
        final = np.asarray(rerank, dtype=np.float64)
        order = [int(i) for i in np.argsort(-final, kind="stable")]
        return final, order
    if combine == "rrf":
        ce_order = np.argsort(-np.asarray(rerank, dtype=np.float64), kind="stable")  # best first
        fused = rrf([[int(i) for i in ce_order], list(range(n))], k=rrf_k)
        final = np.zeros(n, dtype=np.float64)
        for i, s in fused:
            final[i] = s
        return final, [i for i, _ in fused]
    if combine == "weighted":
        final = weight * minmax(rerank) + (1.0 - weight) * minmax(first_stage)
        order = [int(i) for i in np.argsort(-final, kind="stable")]
        return final, order
    raise ValueError(f"combine must be one of {_COMBINES}, got {combine!r}")


@contextlib.contextmanager
def _quiet_transformers():
    """No "Loading weights" progress bar on stderr while the weights load (restored afterwards)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def _local_folder(spec: str, cache_folder: str | None) -> Path | None:
    """The folder holding the weights `spec` names: itself, or its Hugging Face cache snapshot."""
    p = Path(spec).expanduser()
    if p.is_dir():
        return p
    try:
        found = cached_model_file(spec, "config.json", cache_folder)
    except ValueError:
        return None
    return found.parent if found is not None else None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _restamp(c: ScoredChunk, score: float, rank: int, extra: dict[str, float]) -> ScoredChunk:
    return dataclasses.replace(c, score=score, rank=rank, scores={**c.scores, **extra})
