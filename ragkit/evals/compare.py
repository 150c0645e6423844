"""`--compare previous.json`: every metric's delta against an earlier report; regressions marked.

A metric regresses when it moved the wrong way (by its `better` direction) by more than the
tolerance: `tolerance` absolute for scores and shares (0 by default: the pipeline is
deterministic, so any drop is real), and `latency_tolerance` relative for timings (unit "s",
25% by default: timings are noisy). A metric that was measured before and no longer is, and a
check that passed before and fails now, are regressions too.
"""

from __future__ import annotations

from typing import Any

COMPARE_VERSION = 1


def _metrics(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for c in report.get("checks", []) for m in c.get("metrics", [])}


def metric_delta(key: str, before: float | None, after: float | None, better: str, unit: str | None,
                 tolerance: float = 0.0, latency_tolerance: float = 0.25) -> dict[str, Any]:
    """One row of the comparison. Pure."""
    row: dict[str, Any] = {"key": key, "before": before, "after": after, "delta": None, "better": better,
                           "regression": False, "improvement": False}
    if before is None and after is None:
        return row
    if after is None:
        row["regression"] = True
        row["note"] = "no longer measured"
        return row
    if before is None:
        row["note"] = "newly measured"
        return row
    delta = after - before
    row["delta"] = delta
    if unit == "s":
        allowed = abs(before) * latency_tolerance
    else:
        allowed = tolerance
    worse = -delta if better == "higher" else delta
    row["regression"] = worse > allowed + 1e-12
    row["improvement"] = -worse > allowed + 1e-12
    return row


def compare_reports(current: dict[str, Any], previous: dict[str, Any], *, tolerance: float = 0.0,
                    latency_tolerance: float = 0.25, previous_path: str | None = None) -> dict[str, Any]:
    now, then = _metrics(current), _metrics(previous)
    rows = []
    for key in [*now, *(k for k in then if k not in now)]:
        m = now.get(key) or then[key]
        row = metric_delta(key, (then.get(key) or {}).get("value"), (now.get(key) or {}).get("value"),
                           m.get("better", "higher"), m.get("unit"), tolerance, latency_tolerance)
        row["title"] = m.get("title", key)
        row["unit"] = m.get("unit")
        rows.append(row)
    status_before = {c["id"]: c["status"] for c in previous.get("checks", [])}
    changes = []
    for c in current.get("checks", []):
        b = status_before.get(c["id"])
        if b is not None and b != c["status"]:
            changes.append({"check": c["id"], "before": b, "after": c["status"],
                            "regression": b in ("pass", "info", "skip") and c["status"] == "fail"})
    regressions = [r["key"] for r in rows if r["regression"]] + [
        f"check:{ch['check']}" for ch in changes if ch["regression"]]
    return {
        "version": COMPARE_VERSION,
        "previous": {"path": previous_path, "started": (previous.get("run") or {}).get("started"),
                     "suite_sha256": (previous.get("suite") or {}).get("sha256"),
                     "status": previous.get("status")},
        "same_suite": (previous.get("suite") or {}).get("name") == (current.get("suite") or {}).get("name"),
        "tolerance": tolerance, "latency_tolerance": latency_tolerance,
        "metrics": rows,
        "status_changes": changes,
        "regressions": regressions,
        "improvements": [r["key"] for r in rows if r["improvement"]],
    }
