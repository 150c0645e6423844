"""`ragkit eval SUITE.yaml`: run the RAG quality checklist, write JSON / Markdown / HTML reports.

A suite reads files only inside its own folder and the shared data folder; `--allow-path DIR`
(repeatable) or $RAGKIT_EVAL_ALLOW_PATHS lets it read another (see ragkit/evals/suite.py).
Progress goes to stderr: a bar with an ETA on a terminal, else a plain line per tenth of a phase.

Exit codes: 0 every check passed (or has no threshold / was skipped); 1 a check failed (or, with
--fail-on-regression, a metric regressed against --compare); 2 the suite is broken (bad YAML,
unknown key, missing data, a pipeline that cannot run).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ragkit.cli.safe_text import plain, term
from ragkit.evals.registry import CHECKS, CORE_CHECK_IDS

EXIT_OK, EXIT_FAILED, EXIT_BROKEN = 0, 1, 2
HELP = (f"Run a suite's {len(CHECKS)} checks ({len(CORE_CHECK_IDS)}, plus the LLM judge when the suite configures "
        "one); exit 1 when any check fails (CI gate), 2 when the suite is broken.")


def write_reports(report: dict, out: Path) -> dict[str, Path]:
    """report.json / report.md / report.html under `out`; an existing report.json becomes previous.json."""
    from ragkit.evals.report_html import write_html
    from ragkit.evals.report_json import write_json
    from ragkit.evals.report_md import write_markdown

    out.mkdir(parents=True, exist_ok=True)
    if (out / "report.json").is_file():
        shutil.copyfile(out / "report.json", out / "previous.json")
    return {"json": write_json(report, out / "report.json"), "markdown": write_markdown(report, out / "report.md"),
            "html": write_html(report, out / "report.html")}


def _progress_bar(console):
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=False)


def _progress(console):
    """(context manager, callback): a rich bar with an ETA on a terminal; plain lines otherwise
    (a CI log shows progress while it runs, not only at the end)."""
    import contextlib

    if not console.is_terminal:
        from ragkit.evals.progress import PlainProgress

        return contextlib.nullcontext(), PlainProgress(lambda line: typer.echo(line, err=True))
    from ragkit.evals.progress import PHASES

    bar = _progress_bar(console)
    tasks: dict[str, int] = {}

    def progress(phase: str, advance: int, total: int | None) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
        if total is not None:
            bar.update(tasks[phase], total=total)
        if advance:
            bar.advance(tasks[phase], advance)

    return bar, progress


def _print_summary(report: dict, paths: dict[str, Path], console) -> None:
    from rich.table import Table

    from ragkit.evals.report_md import fmt_measured, fmt_threshold

    colors = {"pass": "green", "fail": "red", "skip": "dim", "info": "cyan"}
    table = Table(title=f"ragkit eval: {report['suite']['name']}", show_lines=False)
    for col in ("#", "check", "status", "metric", "value", "threshold"):
        table.add_column(col, justify="right" if col in ("#", "value") else "left")
    for c in report["checks"]:
        color = colors.get(c["status"], "white")
        metrics = c["metrics"] or [None]
        for i, m in enumerate(metrics):
            head = [str(c["number"]), c["title"], f"[{color}]{c['status']}[/{color}]"] if i == 0 else ["", "", ""]
            if m is None:
                table.add_row(*head, term(c.get("reason") or ""), "", "")
                continue
            mark = "" if m["passed"] is None else (" ✓" if m["passed"] else " [red]✗[/red]")
            table.add_row(*head, m["key"].split(".", 1)[1], fmt_measured(m["value"], m["unit"]) + mark,
                          fmt_threshold(m["threshold"], m["unit"]))
    console.print(table)
    comp = report.get("comparison")
    if comp:
        console.print(f"compared with {comp['previous']['path']}: {len(comp['regressions'])} regression(s)"
                      + (": " + ", ".join(comp["regressions"]) if comp["regressions"] else ""))
    for note in report["run"].get("notes") or []:
        console.print(f"[yellow]note:[/yellow] {term(note)}", highlight=False)  # notes name corpus files
    s = report["summary"]
    color = "green" if report["status"] == "pass" else "red"
    console.print(f"[{color}]{report['status'].upper()}[/{color}]: {s['pass']} passed, {s['fail']} failed, "
                  f"{s['skip']} skipped, {s['info']} without threshold ({report['run']['seconds']:.1f} s)")
    for kind, p in paths.items():
        console.print(f"  {kind:<8} {p}")


def register(app: typer.Typer) -> None:
    @app.command("eval", help=HELP)
    def eval_cmd(
        suite_path: Path = typer.Argument(..., metavar="SUITE.yaml", help="The suite file (see evals/)."),
        full: bool = typer.Option(False, "--full", help="Every query: ignore the suite's sample sizes."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Report folder (default .ragkit/evals/<name>/reports)."),
        compare: Optional[Path] = typer.Option(None, "--compare", help="A previous report.json: deltas, regressions."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Allow the LLM judge to spend without asking."),
        json_out: bool = typer.Option(False, "--json", help="Print the JSON report on stdout."),
        work_root: Optional[Path] = typer.Option(None, "--work-dir", help="Root of eval homes (default .ragkit/evals)."),
        fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="Exit 1 on a --compare regression."),
        allow_path: Optional[List[Path]] = typer.Option(
            None, "--allow-path", metavar="DIR",
            help="A folder the suite may read besides its own and the shared data folder (repeatable; "
                 "also $RAGKIT_EVAL_ALLOW_PATHS)."),
    ) -> None:
        from rich.console import Console

        from ragkit.errors import RagkitError, SuiteError
        from ragkit.evals.compare import compare_reports
        from ragkit.evals.report_json import load_report
        from ragkit.evals.runner import RunOptions, run_suite
        from ragkit.evals.suite import load_suite
        from ragkit.evals.workdir import work_dir

        err = Console(stderr=True)
        try:
            suite = load_suite(suite_path, allow_paths=allow_path or ())
            previous = load_report(compare) if compare else None
        except SuiteError as exc:
            typer.echo(f"suite error: {plain(exc, multiline=True)}", err=True)
            raise typer.Exit(EXIT_BROKEN)

        def confirm(question: str) -> bool:
            if not sys.stdin.isatty():
                typer.echo(question + " [no terminal to ask: pass --yes]", err=True)
                return False
            try:
                return typer.confirm(question, default=False, err=True)
            except (typer.Abort, EOFError):
                return False

        bar, progress = _progress(err)
        try:
            with bar:
                report = run_suite(suite, RunOptions(full=full, work_root=work_root, progress=progress,
                                                     confirm=confirm, yes=yes))
        except RagkitError as exc:
            typer.echo(f"eval could not run: {type(exc).__name__}: {plain(exc, multiline=True)}", err=True)
            raise typer.Exit(EXIT_BROKEN)
        except Exception as exc:  # noqa: BLE001 - a crash is "could not run" (2), never "a check failed" (1)
            import traceback

            traceback.print_exc()
            typer.echo(f"eval crashed: {type(exc).__name__}: {plain(exc, multiline=True)}", err=True)
            raise typer.Exit(EXIT_BROKEN)
        if previous is not None:
            report["comparison"] = compare_reports(report, previous, previous_path=str(compare))
        paths = write_reports(report, out or work_dir(suite, work_root) / "reports")
        if json_out:
            typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
            _print_summary(report, paths, err)
        else:
            _print_summary(report, paths, Console())
        regressed = bool(report.get("comparison", {}).get("regressions")) if previous is not None else False
        if report["status"] == "fail" or (fail_on_regression and regressed):
            raise typer.Exit(EXIT_FAILED)
