"""Rendering a cost report (from cost_report.build_report): text, CSV, and a PNG or HTML chart.

The HTML chart is self-contained: the figure is inline SVG and the tables are plain HTML, with no
scripts or external references. matplotlib loads only when a chart is asked for.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any, Mapping

from ragkit.errors import ConfigError

_COLS = ("calls", "cache_hits", "failed", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
         "cost_usd", "unknown_cost_rows")


def usd(v: float | None) -> str:
    return "unknown" if v is None else f"${v:,.6f}"


def _table(title: str, key: str, groups: list[Mapping[str, Any]]) -> list[str]:
    lines = [title]
    if not groups:
        return lines + ["  (none)"]
    labels = [str(g[key]) if key != "model" else f"{g['provider']}/{g['model']}" for g in groups]
    w = max(12, *(len(x) for x in labels))
    lines.append(f"  {'':<{w}}  {'calls':>6} {'hits':>5} {'failed':>6} {'in':>10} {'out':>9} {'c.read':>9} "
                 f"{'c.write':>9} {'cost':>14}")
    for label, g in zip(labels, groups):
        all_unknown = g["unknown_cost_rows"] == g["calls"] + g["cache_hits"]
        unknown = f"  (+{g['unknown_cost_rows']} unknown)" if g["unknown_cost_rows"] and not all_unknown else ""
        cost = "unknown" if all_unknown else usd(g["cost_usd"])
        lines.append(f"  {label:<{w}}  {g['calls']:>6} {g['cache_hits']:>5} {g['failed']:>6} {g['input_tokens']:>10} "
                     f"{g['output_tokens']:>9} {g['cache_read_tokens']:>9} {g['cache_write_tokens']:>9} "
                     f"{cost:>14}{unknown}")
    return lines


def render_text(report: Mapping[str, Any]) -> str:
    t, c, r, q = report["totals"], report["cache"], report["routing"], report["per_query"]
    head = f"ragkit cost - {report.get('source') or 'ledger'}"
    if report.get("since"):
        head += f" since {report['since']}"
    lines = [head, "=" * len(head)]
    if not report["rows"]:
        return "\n".join(lines + ["no ledger rows in this period"]) + "\n"
    lines += [
        f"period        {report['first']} .. {report['last']}",
        f"total cost    {usd(t['cost_usd'])}" + (f"  ({t['unknown_cost_rows']} rows with unknown cost, not included)"
                                                 if t["unknown_cost_rows"] else ""),
        f"calls         {t['calls']} provider calls ({t['failed']} failed), {t['cache_hits']} cache hits",
        f"tokens        in {t['input_tokens']}, out {t['output_tokens']}, cache read {t['cache_read_tokens']}, "
        f"cache write {t['cache_write_tokens']}",
        f"cache         hit rate {c['hit_rate']:.1%} of {c['requests']} LLM requests "
        f"({c['exact_hits']} exact, {c['semantic_hits']} semantic), saved {usd(c['saved_usd'])}",
        f"routing       saved {usd(r['saved_usd'])} vs always-large ({usd(r['always_large_usd'])}) over "
        f"{r['requests']} requests, {r['escalations']} escalations",
        f"per query     {q['queries']} queries, mean {usd(q['mean_usd'])}, p95 {usd(q['p95_usd'])}",
        "",
    ]
    lines += _table("by model", "model", report["by_model"]) + [""]
    lines += _table("by day (UTC)", "day", report["by_day"]) + [""]
    lines += _table("by stage", "stage", report["by_stage"])
    return "\n".join(lines) + "\n"


def render_csv(report: Mapping[str, Any]) -> str:
    """Long format: section,key,<columns>; sections total, model, day, stage, then summary metrics."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "key", *_COLS])
    w.writerow(["total", "all", *[report["totals"][c] for c in _COLS]])
    for g in report["by_model"]:
        w.writerow(["model", f"{g['provider']}/{g['model']}", *[g[c] for c in _COLS]])
    for g in report["by_day"]:
        w.writerow(["day", g["day"], *[g[c] for c in _COLS]])
    for g in report["by_stage"]:
        w.writerow(["stage", g["stage"], *[g[c] for c in _COLS]])
    w.writerow([])
    w.writerow(["metric", "value"])
    for section in ("cache", "routing", "per_query"):
        for k, v in report[section].items():
            if not isinstance(v, dict):
                w.writerow([f"{section}.{k}", v])
    return buf.getvalue()


def _figure(report: Mapping[str, Any]):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.5), dpi=100)
    axes = fig.subplots(2, 2)
    days = report["by_day"]
    axes[0][0].bar([d["day"] for d in days], [d["cost_usd"] for d in days], color="#4C72B0")
    axes[0][0].set_title("cost by day (USD)")
    axes[0][0].tick_params(axis="x", labelrotation=45)
    models = report["by_model"]
    axes[0][1].barh([f"{m['provider']}/{m['model']}" for m in models], [m["cost_usd"] for m in models],
                    color="#55A868")
    axes[0][1].set_title("cost by model (USD)")
    stages = report["by_stage"]
    axes[1][0].bar([s["stage"] for s in stages], [s["cost_usd"] for s in stages], color="#C44E52")
    axes[1][0].set_title("cost by stage (USD)")
    c, r = report["cache"], report["routing"]
    labels = ["spent", "saved by cache", "saved by routing"]
    values = [report["totals"]["cost_usd"], c["saved_usd"], r["saved_usd"]]
    axes[1][1].bar(labels, values, color=["#8172B2", "#64B5CD", "#CCB974"])
    axes[1][1].set_title(f"savings (cache hit rate {c['hit_rate']:.0%})")
    fig.suptitle(f"ragkit cost: {report['totals']['calls']} calls, total ${report['totals']['cost_usd']:.6f}")
    fig.tight_layout()
    return fig


def write_chart(report: Mapping[str, Any], path: str | Path) -> Path:
    """A PNG (matplotlib) or a self-contained HTML page (inline SVG + tables), by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise ConfigError(f"--chart {path}: use a .png or .html file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = _figure(report)
    if suffix == ".png":
        fig.savefig(path, format="png")
        return path
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]
    text = html.escape(render_text(report))
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ragkit cost</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style></head><body>"
        f"<h1>ragkit cost</h1>{svg}<pre>{text}</pre></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path
