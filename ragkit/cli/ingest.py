"""`ragkit ingest PATH...`: incremental ingest with a progress bar and a summary.

Exit codes: 0 all good; 1 some files failed (the rest were ingested); 2 nothing could be done
(bad config, index locked, every file failed, store unreachable).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.cli.safe_text import term
from ragkit.errors import RagkitError

EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_DONE = 0, 1, 2


def exit_code(report) -> int:
    if report.failed == 0:
        return EXIT_OK
    did_something = report.added + report.updated + report.unchanged + report.removed > 0
    return EXIT_SOME_FAILED if did_something else EXIT_NOTHING_DONE


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        paths: List[Path] = typer.Argument(..., help="Files or folders to ingest (folders are walked)."),
        config: Optional[Path] = ConfigOpt,
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        keep_missing: bool = typer.Option(False, "--keep-missing", help="Do not remove files gone from the root."),
    ) -> None:
        """Ingest documents: unchanged files are skipped, changed ones replaced, removed ones deleted."""
        from rich.console import Console

        from ragkit.rag import RAG

        cfg = get_config(config)
        if keep_missing:
            cfg.ingest.delete_missing = False
        console = Console(stderr=True)
        try:
            with RAG(cfg) as rag:
                if json_out:
                    report = rag.ingest(paths)
                else:
                    report = _with_progress(rag, paths, console)
        except RagkitError as exc:
            if json_out:
                typer.echo(json.dumps({"error": str(exc)}))
            else:
                console.print(f"[red]ingest failed:[/red] {term(exc)}")
            raise typer.Exit(EXIT_NOTHING_DONE)
        if json_out:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            _print_summary(report, console)
        raise typer.Exit(exit_code(report))


def _with_progress(rag, paths, console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        files = bar.add_task("files", total=None, rate="")
        chunks = bar.add_task("chunks", total=0, rate="")

        def progress(event: str, n: int) -> None:
            if event == "files":
                bar.advance(files, n)
                t = bar.tasks[files]
                bar.update(files, rate=f"{t.completed / max(t.elapsed or 1e-9, 1e-9):.0f} files/s")
            elif event == "total_chunks":
                bar.update(chunks, total=(bar.tasks[chunks].total or 0) + n)
            elif event == "chunks":
                bar.advance(chunks, n)
                t = bar.tasks[chunks]
                bar.update(chunks, rate=f"{t.completed / max(t.elapsed or 1e-9, 1e-9):.0f} chunks/s")

        report = rag.ingest(paths, progress=progress)
        bar.update(files, total=bar.tasks[files].completed)
    return report


def _print_summary(report, console) -> None:
    from rich.table import Table

    table = Table(title=f"ingest summary ({report.seconds:.1f} s)")
    for col in ("", "added", "updated", "unchanged", "removed", "failed"):
        table.add_column(col, justify="right")
    table.add_row("files", *(str(getattr(report, k)) for k in ("added", "updated", "unchanged", "removed", "failed")))
    table.add_row("chunks", str(report.chunks_added), "", "", str(report.chunks_removed), "")
    console.print(table)
    console.print(f"embedded {report.embedded} chunk texts")
    for path, source in report.renamed:
        console.print(f"[cyan]stored as[/cyan] {term(source)}: {term(path)} (its plain name belongs to a file under another root)")
    for source, reason in report.failures:
        console.print(f"[yellow]failed[/yellow] {term(source)}: {term(reason)}")
