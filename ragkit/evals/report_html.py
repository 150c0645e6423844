"""The HTML report: one self-contained file (inline CSS and SVG charts, no script, no external
resource) that opens from disk with no server.

Charts carry stable ids: `chart-metrics` (metric bars with CI error bars), `chart-latency`
(latency histogram), `chart-cost` (cost breakdown); each is a <figure class="chart"> holding an
<svg>, or a <p class="no-chart"> saying why there is nothing to draw.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ragkit.evals import charts
from ragkit.evals.report_md import fmt_ci, fmt_delta, fmt_measured, fmt_threshold, fmt_value

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .sub{color:#555;margin-top:0}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:.8rem;font-size:.85rem;font-weight:600;color:#fff}
.pass{background:#27ae60}.fail{background:#c0392b}.skip{background:#7f8c8d}.info{background:#2e86c1}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.4rem;font-size:.9rem}
th,td{border-bottom:1px solid #e5e5e5;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.regression td{background:#fdecea} tr.bad td.val{color:#c0392b;font-weight:600}
figure.chart{margin:0 0 1.5rem} figure.chart svg{max-width:100%;height:auto}
figcaption{font-size:.85rem;color:#555} .reason{color:#555;font-style:italic}
details{margin:.2rem 0 1rem} pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:.8rem}
"""


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _figure(chart_id: str, svg: str | None, caption: str, empty: str) -> str:
    if svg is None:
        return f'<p class="no-chart" id="{chart_id}">{escape(empty)}</p>'
    return f'<figure class="chart" id="{chart_id}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _check_table(report: dict[str, Any]) -> str:
    out = ["<table><thead><tr><th>#</th><th>check</th><th>status</th><th>metric</th><th>value</th>"
           "<th>95% CI</th><th>threshold</th></tr></thead><tbody>"]
    for c in report["checks"]:
        metrics = c["metrics"] or [None]
        for i, m in enumerate(metrics):
            head = (f"<td>{c['number']}</td><td>{escape(c['title'])}</td><td>{_badge(c['status'])}</td>"
                    if i == 0 else "<td></td><td></td><td></td>")
            if m is None:
                out.append(f"<tr>{head}<td colspan=4 class=reason>{escape(c.get('reason') or '')}</td></tr>")
                continue
            cls = ' class="bad"' if m["passed"] is False else ""
            out.append(
                f"<tr{cls}>{head}<td>{escape(m['key'].split('.', 1)[1])}</td>"
                f"<td class='num val'>{escape(fmt_measured(m['value'], m['unit']))}</td>"
                f"<td class=num>{escape(fmt_ci(m['ci'], m['unit']))}</td>"
                f"<td>{escape(fmt_threshold(m['threshold'], m['unit']))}</td></tr>")
        if c.get("reason") and c["metrics"]:
            out.append(f"<tr><td></td><td></td><td></td><td colspan=4 class=reason>{escape(c['reason'])}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _comparison(comp: dict[str, Any] | None) -> str:
    if not comp:
        return ""
    prev = comp["previous"]
    out = [f"<h2>Compared with the previous run</h2><p>Previous report: <code>{escape(str(prev.get('path')))}</code> "
           f"({escape(str(prev.get('started')))}). <b>{len(comp['regressions'])}</b> regression(s), "
           f"{len(comp['improvements'])} improvement(s).</p>",
           "<table id=comparison><thead><tr><th>metric</th><th>before</th><th>after</th><th>delta</th><th></th>"
           "</tr></thead><tbody>"]
    for r in comp["metrics"]:
        if r["before"] is None and r["after"] is None:
            continue
        cls = ' class="regression"' if r["regression"] else ""
        flag = "regression" if r["regression"] else ("better" if r["improvement"] else "")
        out.append(f"<tr{cls}><td>{escape(r['key'])}</td><td class=num>{escape(fmt_value(r['before'], r['unit']))}</td>"
                   f"<td class=num>{escape(fmt_value(r['after'], r['unit']))}</td>"
                   f"<td class=num>{escape(fmt_delta(r['delta'], r['unit']))}</td>"
                   f"<td>{escape((flag + ' ' + r.get('note', '')).strip())}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: dict[str, Any]) -> str:
    s, run, q = report["suite"], report["run"], report["queries"]
    checks = {c["id"]: c for c in report["checks"]}
    lat = checks.get("latency") or {}
    ld = lat.get("details") or {}
    p95 = next((m["value"] for m in lat.get("metrics", []) if m["key"] == "latency.total_p95_s"), None)
    cost = checks.get("cost") or {}
    cd = cost.get("details") or {}
    total = next((m["value"] for m in cost.get("metrics", []) if m["key"] == "cost.eval_total_usd"), None)
    bars = charts.metric_bars(report["headline"] or [m for c in report["checks"] for m in c["metrics"]])
    hist = charts.latency_histogram(ld.get("histogram_total_s") or {}, float(ld.get("target_s") or 3.0), p95)
    costs = charts.cost_breakdown(cd.get("by_stage") or [], total, int(cd.get("ledger_rows") or 0))
    sm = report["summary"]
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>ragkit eval: {escape(s['name'])} ({escape(report['status'])})</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>ragkit eval: {escape(s['name'])} {_badge(report['status'])}</h1>",
        f"<p class=sub>{escape(s.get('description') or '')}</p>",
        f"<p>{sm['pass']} passed · {sm['fail']} failed · {sm['skip']} skipped · {sm['info']} without threshold. "
        f"{q['total']} queries ({q['searched']} searched, {q['asked']} asked) over "
        f"{report['corpus'].get('documents') or '?'} documents / {report['corpus'].get('chunks') or '?'} chunks; "
        f"{'sampled' if s.get('sampled') else 'all queries'}; {run['seconds']:.1f} s; started {escape(run['started'])}; "
        f"ragkit {escape(report['ragkit_version'])}.</p>",
        "".join(f"<p class=note><b>Note:</b> {escape(n)}</p>" for n in run.get("notes") or []),
        "<h2>Headline metrics</h2>",
        _figure("chart-metrics", bars, "Headline metrics with 95% bootstrap confidence intervals.",
                "No share or score metric was measured."),
        "<h2>Checks</h2>", _check_table(report),
        "<h2>Latency</h2>",
        _figure("chart-latency", hist, f"Latency per query ({escape(str(ld.get('note') or ''))}).",
                "Nothing was timed."),
        "<h2>Cost</h2>",
        _figure("chart-cost", costs, "Ledger rows and dollars per stage, from this run's ledger rows.",
                f"No ledger row was written by this run ({cd.get('ledger_rows', 0)} rows): no model call was made."),
        _comparison(report.get("comparison")),
        "<h2>Check details</h2>", _details(report),
        "<h2>Run</h2><details><summary>pipeline config, suite, phases</summary><pre>",
        escape(_pretty({"suite": s, "run": run, "config": report["config"]})), "</pre></details>",
        "</body></html>",
    ]
    return "".join(parts)


def _details(report: dict[str, Any]) -> str:
    out = []
    for c in report["checks"]:
        d = {k: v for k, v in (c.get("details") or {}).items() if k not in ("samples_total_s", "histogram_total_s")}
        if d:
            out.append(f"<details><summary>{c['number']}. {escape(c['title'])}</summary><pre>{escape(_pretty(d))}</pre>"
                       "</details>")
    return "".join(out)


def _pretty(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False)


def write_html(report: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(report), encoding="utf-8")
    return p
