"""The Markdown summary: headline metrics, one table row per metric of every check, the
comparison with a previous run. For pull requests and chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATUS = {"pass": "✅ pass", "fail": "❌ fail", "skip": "⏭ skip", "info": "ℹ info"}


def fmt_value(value: Any, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if abs(value) < 10 else f"{value:.2f} s"
    if unit == "usd":
        return f"${value:.6f}" if value else "$0"
    if unit == "count":
        return f"{value:g}"
    return f"{value:.3f}"


def fmt_measured(value: Any, unit: str | None) -> str:
    """A check's metric value: "not measured" when the suite has nothing to measure it on."""
    return "not measured" if value is None else fmt_value(value, unit)


def fmt_delta(delta: float | None, unit: str | None) -> str:
    if delta is None:
        return "—"
    sign = "+" if delta >= 0 else "−"
    return sign + fmt_value(abs(delta), unit).lstrip("+")


def fmt_threshold(t: dict[str, Any] | None, unit: str | None) -> str:
    return "—" if not t else f"{t['op']} {fmt_value(t['value'], unit)}"


def fmt_ci(ci: list[float] | None, unit: str | None) -> str:
    return "—" if not ci else f"[{fmt_value(ci[0], unit)}, {fmt_value(ci[1], unit)}]"


def _esc(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    s, run = report["suite"], report["run"]
    lines = [f"# ragkit eval: {s['name']} — {report['status'].upper()}", ""]
    if s.get("description"):
        lines += [s["description"].strip(), ""]
    q, corpus = report["queries"], report["corpus"]
    sm = report["summary"]
    lines += [
        f"{sm['pass']} passed, {sm['fail']} failed, {sm['skip']} skipped, {sm['info']} without threshold · "
        f"{q['total']} queries ({q['searched']} searched, {q['asked']} asked) · "
        f"{corpus.get('documents') or '?'} documents, {corpus.get('chunks') or '?'} chunks · "
        f"{'sampled' if s.get('sampled') else 'all queries'} · {run['seconds']:.1f} s · ragkit {report['ragkit_version']}",
        "",
    ]
    if report["headline"]:
        lines += ["## Headline", "", "| metric | value | 95% CI | n |", "|---|---:|---|---:|"]
        for m in report["headline"]:
            lines.append(f"| {_esc(m['key'])} | {fmt_value(m['value'], m['unit'])} | {fmt_ci(m['ci'], m['unit'])} "
                         f"| {m['n'] if m['n'] is not None else '—'} |")
        lines.append("")
    lines += ["## Checks", "", "| # | check | status | metric | value | threshold |", "|---:|---|---|---|---:|---|"]
    for c in report["checks"]:
        head = f"| {c['number']} | {_esc(c['title'])} | {STATUS.get(c['status'], c['status'])} "
        if not c["metrics"]:
            lines.append(head + f"| {_esc(c.get('reason') or '')} | | |")
            continue
        for i, m in enumerate(c["metrics"]):
            mark = "" if m["passed"] is None else (" ✓" if m["passed"] else " ✗")
            prefix = head if i == 0 else "| | | "
            lines.append(prefix + f"| {_esc(m['key'].split('.', 1)[1])} | {fmt_measured(m['value'], m['unit'])}{mark} "
                         f"| {fmt_threshold(m['threshold'], m['unit'])} |")
        if c.get("reason"):
            lines.append(f"| | | | *{_esc(c['reason'])}* | | |")
    lines.append("")
    comp = report.get("comparison")
    if comp:
        lines += _comparison(comp)
    notes = run.get("notes") or []
    if notes:
        lines += ["## Notes", ""] + [f"- {_esc(n)}" for n in notes] + [""]
    return "\n".join(lines)


def _comparison(comp: dict[str, Any]) -> list[str]:
    prev = comp["previous"]
    out = ["## Compared with the previous run", "",
           f"Previous: `{prev.get('path')}` ({prev.get('started') or '?'}, {prev.get('status') or '?'}). "
           f"{len(comp['regressions'])} regression(s), {len(comp['improvements'])} improvement(s).", ""]
    if not comp.get("same_suite"):
        out += ["**Warning:** the previous report is of another suite.", ""]
    out += ["| metric | before | after | delta | |", "|---|---:|---:|---:|---|"]
    for r in comp["metrics"]:
        if r["before"] is None and r["after"] is None:
            continue
        flag = "🔻 regression" if r["regression"] else ("🔺 better" if r["improvement"] else "")
        if r.get("note"):
            flag = (flag + " " + r["note"]).strip()
        out.append(f"| {_esc(r['key'])} | {fmt_value(r['before'], r['unit'])} | {fmt_value(r['after'], r['unit'])} "
                   f"| {fmt_delta(r['delta'], r['unit'])} | {flag} |")
    for ch in comp["status_changes"]:
        out.append(f"| check {ch['check']} | {ch['before']} | {ch['after']} | | "
                   f"{'🔻 regression' if ch['regression'] else ''} |")
    out.append("")
    return out


def write_markdown(report: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_markdown(report), encoding="utf-8")
    return p
