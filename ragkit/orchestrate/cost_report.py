"""The cost report over ledger rows: pure aggregation (rendering lives in cost_render.py).

* totals, by model, by UTC day, by stage: calls, cache hits, tokens by kind, known dollars, and
  how many rows have an unknown cost (they are never counted as 0 silently);
* cache: hit rate over LLM requests and the dollars the hits saved (what the cached answers cost);
* routing: dollars saved against an always-large counterfactual (requests whose final row carries
  it: the answer's tokens priced at the large route's primary model, minus what the request paid);
* per query: mean and p95 (nearest rank) of the cost of each query id (all its stages and calls).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from ragkit.errors import ConfigError

TOKEN_KINDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str | None, now: float) -> float | None:
    """'7d', '24h', '30m', '2w', '2025-01-31' or an ISO datetime -> epoch seconds. Pure."""
    if text is None or not str(text).strip():
        return None
    m = _RELATIVE.match(str(text))
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2).lower()]
    try:
        dt = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ConfigError(f"--since {text!r}: use a duration like 7d / 24h / 30m or a date like 2025-01-31") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def percentile_nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The smallest value with at least q% of the values at or below it. Pure."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _group(rows: Iterable[Mapping[str, Any]], key) -> list[dict[str, Any]]:
    acc: dict[Any, dict[str, Any]] = {}
    for r in rows:
        k = key(r)
        g = acc.setdefault(k, {"calls": 0, "cache_hits": 0, "failed": 0, **{t: 0 for t in TOKEN_KINDS},
                               "cost_usd": 0.0, "unknown_cost_rows": 0})
        if r.get("cache_hit"):
            g["cache_hits"] += 1
        else:
            g["calls"] += 1
            if r.get("outcome") != "ok":
                g["failed"] += 1
        for t in TOKEN_KINDS:
            g[t] += int(r.get(t) or 0)
        if r.get("cost_usd") is None:
            g["unknown_cost_rows"] += 1
        else:
            g["cost_usd"] += float(r["cost_usd"])
    out = []
    for k, g in acc.items():
        label = dict(zip(("provider", "model"), k)) if isinstance(k, tuple) else {"key": k}
        out.append({**label, **g})
    return out


def build_report(rows: Sequence[Mapping[str, Any]], *, since: float | None = None, source: str = "") -> dict[str, Any]:
    """The whole report as plain data (JSON-ready)."""
    rows = [dict(r) for r in rows if since is None or float(r["ts"]) >= since]
    for r in rows:
        r.setdefault("day", datetime.fromtimestamp(float(r["ts"]), tz=timezone.utc).strftime("%Y-%m-%d"))
    total = _group(rows, lambda r: "all")
    totals = total[0] if total else {"calls": 0, "cache_hits": 0, "failed": 0, **{t: 0 for t in TOKEN_KINDS},
                                     "cost_usd": 0.0, "unknown_cost_rows": 0}
    totals.pop("key", None)
    by_model = sorted(_group(rows, lambda r: (r["provider"], r["model"])), key=lambda g: -g["cost_usd"])
    by_day = sorted(_group(rows, lambda r: r["day"]), key=lambda g: g["key"])
    by_stage = sorted(_group(rows, lambda r: r["stage"]), key=lambda g: -g["cost_usd"])
    for g in by_day:
        g["day"] = g.pop("key")
    for g in by_stage:
        g["stage"] = g.pop("key")

    by_request: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_request[r["request_id"]].append(r)
    llm_requests = {rid: rs for rid, rs in by_request.items() if any(x.get("kind", "llm") == "llm" for x in rs)}
    hits = [r for r in rows if r.get("cache_hit")]
    cache = {
        "requests": len(llm_requests),
        "hits": len(hits),
        "exact_hits": sum(1 for r in hits if r["cache_hit"] == "exact"),
        "semantic_hits": sum(1 for r in hits if r["cache_hit"] == "semantic"),
        "hit_rate": (len({r["request_id"] for r in hits}) / len(llm_requests)) if llm_requests else 0.0,
        "saved_usd": sum(float(r["saved_usd"]) for r in hits if r.get("saved_usd") is not None),
        "hits_with_unknown_saving": sum(1 for r in hits if r.get("saved_usd") is None),
    }
    cache["spent_plus_saved_usd"] = totals["cost_usd"] + cache["saved_usd"]

    actual = counterfactual = 0.0
    n_routed = escalations = unknown = 0
    final_routes: dict[str, int] = defaultdict(int)
    for rs in llm_requests.values():
        finals = [r for r in rs if r.get("counterfactual_usd") is not None]
        if not finals:
            continue
        costs = [r.get("cost_usd") for r in rs]
        if any(c is None for c in costs):
            unknown += 1
            continue
        n_routed += 1
        actual += sum(costs)
        counterfactual += float(finals[-1]["counterfactual_usd"])
        final_routes[finals[-1].get("route") or "?"] += 1
        decision = _decision(finals[-1].get("routing"))
        escalations += bool(decision.get("escalated"))
    routed = counterfactual - actual
    routing = {"requests": n_routed, "actual_usd": actual, "always_large_usd": counterfactual, "saved_usd": routed,
               "escalations": escalations, "final_route": dict(final_routes), "requests_with_unknown_cost": unknown}

    per_query: dict[str, float] = defaultdict(float)
    for r in rows:
        per_query[r.get("query_id") or f"request:{r['request_id']}"] += float(r.get("cost_usd") or 0.0)
    costs = list(per_query.values())
    queries = {"queries": len(costs), "mean_usd": (sum(costs) / len(costs)) if costs else None,
               "p95_usd": percentile_nearest_rank(costs, 95), "max_usd": max(costs) if costs else None}

    span = [float(r["ts"]) for r in rows]
    return {
        "source": source,
        "since": datetime.fromtimestamp(since, tz=timezone.utc).isoformat() if since is not None else None,
        "first": datetime.fromtimestamp(min(span), tz=timezone.utc).isoformat() if span else None,
        "last": datetime.fromtimestamp(max(span), tz=timezone.utc).isoformat() if span else None,
        "rows": len(rows),
        "totals": totals,
        "by_model": by_model,
        "by_day": by_day,
        "by_stage": by_stage,
        "cache": cache,
        "routing": routing,
        "per_query": queries,
    }


def _decision(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}
