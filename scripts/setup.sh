#!/usr/bin/env bash
# Set up ragkit in .venv (offline-capable: only the package registries are needed), ingest the
# bundled docs/ and answer one question from them. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: the CPU build; otherwise sentence-transformers pulls a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error TOKENIZERS_PARALLELISM=false
# once: the embedder's ONNX export (about 8 s; a no-op when done), so queries never import torch
.venv/bin/python -m ragkit.models.embedders.onnx_export
.venv/bin/ragkit ingest docs/
.venv/bin/ragkit query "How do I scale out to a Qdrant server?"
