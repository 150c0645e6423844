"""`ragkit cost`: what the ledger says was spent, saved by caches and saved by routing.

A damaged ledger is reported (exit 2, naming the file and what the check found), never rewritten;
`--move-aside` is the explicit way to rename it to `<name>.damaged-<time>` and start a new one."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.errors import ConfigError, LedgerError


def register(app: typer.Typer) -> None:
    @app.command("cost")
    def cost(
        config: Optional[Path] = ConfigOpt,
        since: Optional[str] = typer.Option(None, "--since", help="7d, 24h, 30m, or a date/datetime (UTC)."),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        csv_out: bool = typer.Option(False, "--csv", help="Print the report as CSV."),
        chart: Optional[Path] = typer.Option(None, "--chart", help="Write a chart: out.png or out.html."),
        ledger: Optional[Path] = typer.Option(None, "--ledger", help="Ledger file (default: from config)."),
        move_aside: bool = typer.Option(False, "--move-aside", help="Rename a DAMAGED ledger to "
                                        "<name>.damaged-<time> so a new one starts (spend history restarts at $0)."),
    ) -> None:
        """Report the cost ledger: totals, by model/day/stage, cache and routing savings, cost per query."""
        from ragkit.orchestrate.cost_render import render_csv, render_text, write_chart
        from ragkit.orchestrate.cost_report import build_report, parse_since
        from ragkit.orchestrate.ledger import Ledger, pending_path

        cfg = get_config(config)
        path = ledger or cfg.ledger_path
        try:
            since_ts = parse_since(since, time.time())
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        if move_aside:
            _move_aside(path)
            return
        if path.is_file() or pending_path(path).is_file():
            try:
                with Ledger(path) as led:
                    rows = led.dicts()
            except LedgerError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2)
        else:
            typer.echo(f"no ledger at {path} yet: nothing has been recorded", err=True)
            rows = []
        report = build_report(rows, since=since_ts, source=str(path))
        if chart is not None:
            try:
                written = write_chart(report, chart)
            except ConfigError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2)
            typer.echo(f"chart written to {written}", err=True)
        if json_out:
            typer.echo(json.dumps(report, indent=2))
        elif csv_out:
            typer.echo(render_csv(report), nl=False)
        else:
            typer.echo(render_text(report), nl=False)


def _move_aside(path: Path) -> None:
    """Only a ledger that is damaged is moved; a healthy or absent one is left alone (exit 2)."""
    from ragkit.orchestrate.ledger import Ledger, move_aside

    if not path.exists():
        typer.echo(f"error: no ledger at {path}: nothing to move aside", err=True)
        raise typer.Exit(2)
    try:
        with Ledger(path) as led:
            led.ensure_ready()
    except LedgerError as exc:
        if not exc.damaged:
            typer.echo(f"error: {exc}\nThe file is not damaged, so it was not moved.", err=True)
            raise typer.Exit(2)
        try:
            dest = move_aside(path)
        except OSError as err:
            typer.echo(f"error: could not move {path} aside: {err}", err=True)
            raise typer.Exit(2)
        typer.echo(f"moved the damaged ledger {path} to {dest} (kept for inspection or recovery).\n"
                   f"A new, empty ledger starts at {path} with the next call: the spend history and today's "
                   "budget restart from $0. Calls kept in the pending file are added to it.")
        return
    typer.echo(f"error: the ledger {path} is healthy: nothing was moved", err=True)
    raise typer.Exit(2)
