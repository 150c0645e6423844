"""`ragkit cost`: what the ledger says was spent, saved by caches and saved by routing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.errors import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("cost")
    def cost(
        config: Optional[Path] = ConfigOpt,
        since: Optional[str] = typer.Option(None, "--since", help="7d, 24h, 30m, or a date/datetime (UTC)."),
        json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        csv_out: bool = typer.Option(False, "--csv", help="Print the report as CSV."),
        chart: Optional[Path] = typer.Option(None, "--chart", help="Write a chart: out.png or out.html."),
        ledger: Optional[Path] = typer.Option(None, "--ledger", help="Ledger file (default: from config)."),
    ) -> None:
        """Report the cost ledger: totals, by model/day/stage, cache and routing savings, cost per query."""
        from ragkit.orchestrate.cost_render import render_csv, render_text, write_chart
        from ragkit.orchestrate.cost_report import build_report, parse_since
        from ragkit.orchestrate.ledger import Ledger

        cfg = get_config(config)
        path = ledger or cfg.ledger_path
        try:
            since_ts = parse_since(since, time.time())
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        if path.is_file():
            with Ledger(path) as led:
                rows = led.dicts()
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
