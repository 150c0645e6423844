#!/usr/bin/env bash
# The peers of bench/compare.py at the versions docs/benchmarks.md was measured with, into the
# same .venv as ragkit (run scripts/setup.sh first). Offline-capable: only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q -c constraints.txt -e ".[bench]"
# llama-index-retrievers-bm25 0.8.0 declares PyStemmer<3, which has no wheel for this Python and
# would build from source; it runs on PyStemmer 3.1 (same API), so it goes in without its pins.
.venv/bin/python -m pip install -q --no-deps "llama-index-retrievers-bm25==0.8.0"
.venv/bin/python -c "import llama_index.core, llama_index.retrievers.bm25, haystack, haystack_integrations.components.embedders.sentence_transformers; print('bench peers ready')"
