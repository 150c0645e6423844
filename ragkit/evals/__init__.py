"""The eval harness: suites, the checks of the checklist (`CHECKS`), reports. `run_suite(load_suite(path))` runs one.

Heavy parts (the RAG pipeline, matplotlib) load only when a suite runs or a report renders; the
names below are re-exported lazily, so `import ragkit.evals.registry` (the CLI's help) stays cheap."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "compare_reports": "ragkit.evals.compare",
    "EvalItem": "ragkit.evals.items", "load_beir": "ragkit.evals.items", "load_qa": "ragkit.evals.items",
    "CHECKS": "ragkit.evals.registry", "metric_specs": "ragkit.evals.registry",
    "CheckResult": "ragkit.evals.results", "MetricResult": "ragkit.evals.results",
    "RunOptions": "ragkit.evals.runner", "run_suite": "ragkit.evals.runner",
    "Suite": "ragkit.evals.suite", "load_suite": "ragkit.evals.suite", "parse_suite": "ragkit.evals.suite",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ragkit.evals' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
