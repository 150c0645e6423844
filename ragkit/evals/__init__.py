"""The eval harness: suites, the nine checks, reports. `run_suite(load_suite(path))` runs one.

Heavy parts (the RAG pipeline, matplotlib) load only when a suite runs or a report renders."""

from ragkit.evals.compare import compare_reports
from ragkit.evals.items import EvalItem, load_beir, load_qa
from ragkit.evals.registry import CHECKS, metric_specs
from ragkit.evals.results import CheckResult, MetricResult
from ragkit.evals.runner import RunOptions, run_suite
from ragkit.evals.suite import Suite, load_suite, parse_suite

__all__ = [
    "CHECKS", "CheckResult", "EvalItem", "MetricResult", "RunOptions", "Suite", "compare_reports", "load_beir",
    "load_qa", "load_suite", "metric_specs", "parse_suite", "run_suite",
]
