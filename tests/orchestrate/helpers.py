"""Shared builders for orchestration tests: a gateway on the loopback server from a config dict."""

from __future__ import annotations

from typing import Any

from ragkit.config import load_config
from ragkit.orchestrate import ManualClock, build_gateway


def gateway_for(tmp_path, llm: dict[str, Any], *, retry: dict[str, Any] | None = None, cache: bool = False,
                budget: dict[str, Any] | None = None, clock=None, run_id: str | None = None, **extra):
    """A Gateway writing its ledger/caches under tmp_path; sleeps are skipped (ManualClock, real time)."""
    overrides: dict[str, Any] = {
        "home": str(tmp_path),
        "llm": llm,
        "retry": {"base_delay_s": 0.05, "max_delay_s": 5, "deadline_s": 20, **(retry or {})},
        "cache": {"enabled": cache},
        **extra,
    }
    if budget:
        overrides["budget"] = budget
    cfg = load_config(overrides=overrides, env={})
    return build_gateway(cfg, clock=clock or ManualClock(real_time=True), run_id=run_id)
