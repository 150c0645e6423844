"""Arithmetic precision of the local torch models (the embedder and the cross-encoder).

`auto` (the default) runs them under bfloat16 autocast on a CPU that does bf16 natively
(AVX512-BF16 or AMX) and in float32 everywhere else, where bf16 would be emulated and slower.
Autocast keeps layer norms, softmax and pooling in float32, so the vectors barely move: on 2 EPYC
cores MiniLM encodes SciFact abstracts 1.7x faster and agrees with float32 to a cosine of 0.9999
(`bench/precision.py` measures both on the machine it runs on). The weights are unchanged.
"""

from __future__ import annotations

import contextlib
from typing import ContextManager

from ragkit.config.data import Precision  # noqa: F401  (the config keys embedder.precision, rerank.precision)

PRECISIONS: tuple[str, ...] = ("auto", "float32", "bfloat16")


def check_precision(precision: str, key: str) -> str:
    """`precision` when it is one of PRECISIONS, else a ValueError naming the config key."""
    if precision not in PRECISIONS:
        raise ValueError(f"{key} must be one of {PRECISIONS}, got {precision!r}")
    return precision


X86_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # /proc/cpuinfo names of native bf16 arithmetic


def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags as Linux lists them in /proc/cpuinfo (empty where it cannot be read)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def native_bf16_cpu() -> bool:
    """True when this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles).

    On x86 Linux the answer comes from /proc/cpuinfo, so asking does not import torch (the ONNX
    embedder asks at query time); elsewhere torch's own probes answer (they are x86-only, so an
    ARM CPU answers no, as it did before: bf16 autocast was not measured there)."""
    import platform

    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64", "i386", "i686"):
        return False
    flags = cpu_flags()
    if flags:
        return bool(flags & X86_BF16_FLAGS)
    import torch

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        fn = getattr(torch.cpu, probe, None)
        try:
            if fn is not None and fn():
                return True
        except Exception:  # a torch build without the probe answers "no"
            continue
    return False


def resolve_precision(precision: str, device: str) -> str:
    """The precision to run with: "float32" or "bfloat16". `auto` asks the hardware (CPU only)."""
    if check_precision(precision, "precision") != "auto":
        return precision
    return "bfloat16" if device.split(":")[0] == "cpu" and native_bf16_cpu() else "float32"


def autocast(precision: str, device: str) -> ContextManager:
    """A context that runs torch code at `precision` (already resolved) on `device`."""
    if precision == "float32":
        return contextlib.nullcontext()
    import torch

    return torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
