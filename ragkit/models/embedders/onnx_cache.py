"""Where the ONNX export of a local embedder lives, keyed by the weights it was exported from.

    $XDG_CACHE_HOME/ragkit/onnx             ($XDG_CACHE_HOME unset: ~/.cache/ragkit/onnx)
      <model>-<key>/model.onnx              the exported transformer (float32)
      <model>-<key>/export.json             what it was exported from, with which versions
      hashes/<stat id>.sha256               a weights file's sha256, memoised per (path, size, mtime, inode)

`<key>` is a hash of the weights file's content (model.safetensors, or pytorch_model.bin), the
model's config.json and the export recipe's version: a changed model gets a new key, so a stale
export is never served; it is simply not found (the torch engine runs until it is exported again).
Hashing 90 MB of MiniLM weights costs about 80 ms, so the hash is memoised by the file's stat; a
file rewritten in place gets a new mtime and is hashed again. Pure file work: no torch, no onnx.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

RECIPE_VERSION = 2  # bump when the export changes the file (inputs, outputs, opset, fusions)
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
MODEL_FILE = "model.onnx"
MANIFEST_FILE = "export.json"


def cache_root() -> Path:
    """The folder exports live in (beside ragkit's tiktoken files); a RAGKIT_* variable would be
    read as a config key, so the standard XDG_CACHE_HOME moves it."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ragkit" / "onnx"


def weights_file(model_dir: str | Path) -> Path | None:
    """The weights file of a local transformer folder, or None when it has none we can export."""
    for name in WEIGHT_FILES:
        p = Path(model_dir) / name
        if p.is_file():
            return p
    return None


def file_sha256(path: Path, root: Path | None = None) -> str:
    """sha256 of a file's bytes, memoised under `root`/hashes by the file's stat (best effort)."""
    st = path.stat()
    stat_id = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}".encode()).hexdigest()
    memo = (root or cache_root()) / "hashes" / f"{stat_id}.sha256"
    try:
        known = memo.read_text().strip()
        if re.fullmatch(r"[0-9a-f]{64}", known):
            return known
    except OSError:
        pass
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(digest)
        tmp.replace(memo)
    except OSError:  # a read-only cache still works, it just hashes every time
        pass
    return digest


def weights_key(model_dir: str | Path, root: Path | None = None) -> str:
    """A short hash of what the export depends on: weights bytes, config.json, recipe version."""
    model_dir = Path(model_dir)
    weights = weights_file(model_dir)
    if weights is None:
        raise FileNotFoundError(f"no {' or '.join(WEIGHT_FILES)} in {model_dir}")
    config = model_dir / "config.json"
    parts = {
        "weights": file_sha256(weights, root),
        "config": hashlib.sha256(config.read_bytes()).hexdigest() if config.is_file() else "",
        "recipe": RECIPE_VERSION,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def export_dir(model_dir: str | Path, root: Path | None = None) -> Path:
    """The folder the export of `model_dir`'s current weights goes to (whether or not it exists)."""
    here = Path(model_dir).resolve()
    name = f"{here.parent.name}-{here.name}" if here.name in ("model", "models", "") else here.name
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[-48:] or "model"
    return (root or cache_root()) / f"{slug}-{weights_key(model_dir, root)}"


def find_export(model_dir: str | Path, root: Path | None = None) -> Path | None:
    """The exported model.onnx for `model_dir`'s current weights, or None (not exported, not a
    local transformer folder, or exported from other weights)."""
    if not Path(model_dir).is_dir() or weights_file(model_dir) is None:
        return None
    try:
        d = export_dir(model_dir, root)
    except OSError:
        return None
    model, manifest = d / MODEL_FILE, d / MANIFEST_FILE
    return model if model.is_file() and manifest.is_file() else None  # the manifest is written last
