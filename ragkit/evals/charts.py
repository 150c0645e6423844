"""The HTML report's charts as inline SVG strings (matplotlib's object API: no pyplot, no global
backend switch). Each chart gets its own id salt, so several SVGs can share one page."""

from __future__ import annotations

import io
import re
from typing import Any, Sequence

_RC = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig, salt: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg"):], flags=re.S)
    return text


def _figure(width: float, height: float):
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), dpi=96)
        return fig, fig.add_subplot(1, 1, 1)


def metric_bars(metrics: Sequence[dict[str, Any]]) -> str | None:
    """Horizontal bars of share/score metrics (0..1) with CI error bars and threshold ticks."""
    rows = [m for m in metrics if m.get("value") is not None and m.get("unit") is None]
    if not rows:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(7.0, 0.32 * len(rows) + 0.9)
        ys = list(range(len(rows)))[::-1]
        vals = [m["value"] for m in rows]
        lo = [max(0.0, m["value"] - m["ci"][0]) if m.get("ci") else 0.0 for m in rows]
        hi = [max(0.0, m["ci"][1] - m["value"]) if m.get("ci") else 0.0 for m in rows]
        colors = ["#c0392b" if m.get("passed") is False else "#2e86c1" for m in rows]
        ax.barh(ys, vals, xerr=[lo, hi], color=colors, height=0.6, capsize=3, error_kw={"elinewidth": 1})
        for y, m in zip(ys, rows):
            t = m.get("threshold")
            if t:
                ax.plot([t["value"], t["value"]], [y - 0.38, y + 0.38], color="#222", linewidth=1.5)
            right = max(m["value"], m["ci"][1] if m.get("ci") else m["value"])
            ax.text(min(right, 1.0) + 0.015, y, f"{m['value']:.3f}", va="center", fontsize=8)
        ax.set_yticks(ys)
        ax.set_yticklabels([m["key"] for m in rows])
        low = min(0.0, min(vals) - 0.05)
        ax.set_xlim(low, 1.14)
        ax.set_xlabel("value (bars: 95% bootstrap CI; black tick: threshold; red: failed)")
        return _svg(fig, "metrics")


def latency_histogram(hist: dict[str, list[float]], target_s: float, p95: float | None) -> str | None:
    edges, counts = hist.get("edges") or [], hist.get("counts") or []
    if not counts:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(7.0, 2.6)
        ms = [e * 1000 for e in edges]
        widths = [b - a for a, b in zip(ms[:-1], ms[1:])]
        ax.bar(ms[:-1], counts, width=widths, align="edge", color="#5d6d7e", edgecolor="white")
        if p95 is not None:
            ax.axvline(p95 * 1000, color="#2e86c1", linestyle="--", linewidth=1.2, label=f"p95 {p95 * 1000:.0f} ms")
        if target_s * 1000 <= max(ms) * 1.5:
            ax.axvline(target_s * 1000, color="#c0392b", linewidth=1.2, label=f"target {target_s:g} s")
        ax.set_xlabel("end-to-end latency per query (ms)")
        ax.set_ylabel("queries")
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig, "latency")


def cost_breakdown(by_stage: Sequence[dict[str, Any]], total_usd: float | None, rows: int) -> str | None:
    """Calls and dollars per ledger stage, side by side (dollars are often all 0 offline)."""
    if not by_stage:
        return None
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 0.35 * len(by_stage) + 1.2), dpi=96)
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        names = [str(s.get("stage")) for s in by_stage]
        ys = list(range(len(names)))
        ax1.barh(ys, [s.get("calls", 0) + s.get("cache_hits", 0) for s in by_stage], color="#5d6d7e")
        ax1.set_yticks(ys)
        ax1.set_yticklabels(names)
        ax1.set_xlabel("ledger rows (calls + cache hits)")
        costs = [float(s.get("cost_usd") or 0.0) for s in by_stage]
        ax2.barh(ys, costs, color="#27ae60")
        ax2.set_xlabel("USD (known prices)")
        if not any(costs):
            ax2.set_xlim(0, 1)
            ax2.text(0.5, (len(ys) - 1) / 2, "$0.00 for every stage", ha="center", va="center")
        fig.suptitle(f"{rows} ledger rows, total ${total_usd or 0.0:.6f}", fontsize=9)
        return _svg(fig, "cost")
