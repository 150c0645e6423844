"""What a check returns: its metrics (measured value, CI, threshold, pass) and a verdict.

Verdicts: `pass` (every thresholded metric passes), `fail` (one does not, or a metric the suite
sets a threshold for could not be measured; the checklist's default thresholds judge only what the
suite measures), `skip` (nothing to measure here, no threshold asks for it; the
reason says why), `info` (measured, but the suite sets no threshold for this check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ragkit.evals.registry import check_spec


@dataclass(frozen=True)
class Measured:
    value: float | None
    ci: tuple[float, float] | None = None
    n: int | None = None


@dataclass(frozen=True)
class MetricResult:
    key: str  # "<check>.<metric>"
    title: str
    value: float | None
    better: str
    unit: str | None = None
    ci: tuple[float, float] | None = None
    n: int | None = None
    threshold_op: str | None = None  # ">=" or "<="
    threshold: float | None = None
    passed: bool | None = None  # None: no threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "value": self.value, "unit": self.unit, "better": self.better,
            "ci": list(self.ci) if self.ci else None, "n": self.n,
            "threshold": None if self.threshold is None else {"op": self.threshold_op, "value": self.threshold},
            "passed": self.passed,
        }


@dataclass(frozen=True)
class CheckResult:
    id: str
    number: int
    title: str
    status: str  # pass | fail | skip | info
    metrics: tuple[MetricResult, ...] = ()
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> MetricResult | None:
        key = name if "." in name and name.split(".")[0] == self.id else f"{self.id}.{name}"
        return next((m for m in self.metrics if m.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "title": self.title, "status": self.status,
                "reason": self.reason, "metrics": [m.to_dict() for m in self.metrics], "details": self.details}


def finalize(check_id: str, values: Mapping[str, Measured | float | None], thresholds: Mapping[str, Any],
             details: dict[str, Any] | None = None, skip_reason: str | None = None) -> CheckResult:
    """Apply the suite's thresholds (`Threshold` objects keyed "<check>.<metric>") to the values."""
    spec = check_spec(check_id)
    metrics = []
    no_data = []  # metrics a default threshold would judge, with nothing in this suite to measure
    for m in spec.metrics:
        key = f"{check_id}.{m.name}"
        raw = values.get(m.name)
        t = thresholds.get(key)
        if raw is None and t is None and m.name not in values:
            continue
        meas = raw if isinstance(raw, Measured) else Measured(None if raw is None else float(raw))
        if t is not None and meas.value is None and t.implied:
            no_data.append(m.name)
            t = None
        passed = None
        if t is not None:
            passed = False if meas.value is None else bool(t.passes(meas.value))
        metrics.append(MetricResult(
            key=key, title=m.title, value=meas.value, better=m.better, unit=m.unit, ci=meas.ci, n=meas.n,
            threshold_op=None if t is None else t.op, threshold=None if t is None else t.value, passed=passed))
    verdicts = [m.passed for m in metrics if m.passed is not None]
    reason = skip_reason
    if skip_reason and not verdicts:
        status = "skip"
    elif verdicts and not all(verdicts):
        status = "fail"
        unmeasured = [m.key for m in metrics if m.passed is False and m.value is None]
        if unmeasured and not reason:
            reason = "not measured: " + ", ".join(unmeasured)
    elif verdicts:
        status = "pass"
    else:
        status = "info"
    if no_data and not reason:
        reason = "nothing in this suite measures " + ", ".join(no_data)
    return CheckResult(check_id, spec.number, spec.title, status, tuple(metrics), reason, details or {})
