"""`ragkit query "question"`: a grounded answer, its citations (verified or not), the abstention
reason when it abstains, cost and latency."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List, Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.cli.safe_text import plain, term
from ragkit.errors import RagkitError

_CITATION = re.compile(r"\[Source:[^\]]*\]")


def register(app: typer.Typer) -> None:
    @app.command("query")
    def query(
        question: str = typer.Argument(..., help="The question to answer from the index."),
        config: Optional[Path] = ConfigOpt,
        filters: List[str] = typer.Option([], "--filter", "-f", help="e.g. source=guides/*.md, page=1..3"),
        top_k: Optional[int] = typer.Option(None, "--top-k", "-k", min=1),
        show_context: bool = typer.Option(False, "--show-context", help="Print the chunks given to the generator."),
        json_out: bool = typer.Option(False, "--json"),
        stream: bool = typer.Option(False, "--stream", help="Print the answer as it is written, then its checks."),
    ) -> None:
        """Answer a question with verified citations (offline extractive generator by default)."""
        from ragkit.rag import RAG
        from ragkit.retrieve.filter_args import parse_filter_args

        cfg = get_config(config)
        try:
            spec = parse_filter_args(filters) if filters else None
            with RAG(cfg) as rag:
                if stream and not json_out:
                    answer = _streamed(rag.ask_stream(question, filters=spec, top_k=top_k))
                    _print(answer, show_context, text=False)
                    return
                answer = rag.ask(question, filters=spec, top_k=top_k)
        except RagkitError as exc:
            typer.echo(f"query failed: {plain(exc)}", err=True)
            raise typer.Exit(2)
        if json_out:
            typer.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False, default=str))
            return
        _print(answer, show_context)


def _citations_on_one_line(text: str) -> str:
    """A source name's own newlines, inside a `[Source: ...]` marker, shown escaped (a JSONL id may
    hold one); the answer's line breaks stay."""
    return _CITATION.sub(lambda m: plain(m.group(0)), text)


def _streamed(events):
    """Echo the text pieces as they come; the verified answer again when verification changed it."""
    import sys

    from ragkit.answer.events import AnswerDelta, AnswerError, AnswerFinal, AnswerReset

    shown = ""
    for event in events:
        if isinstance(event, AnswerDelta):
            shown += event.text
            sys.stdout.write(term(_citations_on_one_line(event.text), multiline=True))
            sys.stdout.flush()
        elif isinstance(event, AnswerReset):
            shown = ""
            sys.stdout.write(f"\n[escalated to the large route: {term(event.reason)}]\n")
        elif isinstance(event, AnswerError):
            sys.stdout.write("\n")
            typer.echo(f"query failed: {event.error_type}: {plain(event.message)}", err=True)
            raise typer.Exit(2)
        elif isinstance(event, AnswerFinal):
            sys.stdout.write("\n")
            if event.answer.text != shown:
                sys.stdout.write("verified answer:\n" + term(_citations_on_one_line(event.answer.text),
                                                             multiline=True) + "\n")
            return event.answer
    raise RagkitError("the answer stream ended without an answer")


def _print(answer, show_context: bool, text: bool = True) -> None:
    from rich.console import Console

    from ragkit.cli.search import snippet

    console = Console()
    if text:
        console.print(term(_citations_on_one_line(answer.text), multiline=True), highlight=False)
    if answer.abstained:
        console.print(f"[yellow]abstained:[/yellow] {term(answer.abstain_reason)}", highlight=False)
    if answer.citations:
        console.print("\n[bold]citations[/bold]")
        for c in answer.citations:
            mark = "[green]verified[/green]" if c.verified else f"[red]not verified[/red] ({term(c.reason)})"
            page = f", page {c.page}" if c.page is not None else ""
            console.print(f"  {term(c.source)}{page}: {mark}  support {c.support:.2f}", highlight=False)
    for note in answer.notes:
        console.print(f"[dim]note: {term(note)}[/dim]", highlight=False)
    if show_context:
        console.print("\n[bold]context[/bold]")
        for h in answer.chunks:
            word = "slide" if (h.chunk.metadata or {}).get("page_label") == "slide" else "page"  # PPTX pages are slides
            page = f", {word} {h.chunk.page}" if h.chunk.page is not None else ""
            console.print(f"  \\[{h.rank}] {term(h.chunk.source)}{page}: {term(snippet(h.chunk.text, 300))}", highlight=False)
    cost = "unknown (unpriced model)" if answer.cost_usd is None else f"${answer.cost_usd:.6f}"
    lat = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.latency.items())
    cache = f", cache hit: {answer.cache_hit}" if answer.cache_hit else ""
    console.print(f"\n[dim]model {term(answer.model or '-')}{cache}; cost {cost}; {lat}[/dim]", highlight=False)
