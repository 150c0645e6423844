"""`ragkit search "query"`: ranked chunks with score, source, page, section and a snippet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.cli.safe_text import plain, term
from ragkit.errors import RagkitError


def scored_to_dict(hit) -> dict:
    c = hit.chunk
    return {
        "rank": hit.rank,
        "score": hit.score,
        "scores": hit.scores,
        "chunk_id": c.chunk_id,
        "source": c.source,
        "title": c.title,
        "page": c.page,
        "section": c.section,
        "start": c.start,
        "end": c.end,
        "text": c.text,
    }


def snippet(text: str, width: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rsplit(" ", 1)[0] + "…"


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search(
        query: str = typer.Argument(..., help="What to look for."),
        config: Optional[Path] = ConfigOpt,
        mode: Optional[str] = typer.Option(None, "--mode", help="hybrid | dense | sparse"),
        filters: List[str] = typer.Option([], "--filter", "-f", help="e.g. source=guides/*.md, page=1..3, created>=2026-01-01"),
        top_k: Optional[int] = typer.Option(None, "--top-k", "-k", min=1,
                                            help="Results to show (default: retrieval.top_k)."),
        rerank: Optional[bool] = typer.Option(None, "--rerank/--no-rerank"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Search the index (no LLM call)."""
        from ragkit.rag import RAG
        from ragkit.retrieve.filter_args import parse_filter_args

        cfg = get_config(config)
        if mode is not None and mode not in ("hybrid", "dense", "sparse"):
            typer.echo(f"--mode must be hybrid, dense or sparse (got {mode!r})", err=True)
            raise typer.Exit(2)
        try:
            spec = parse_filter_args(filters) if filters else None
            with RAG(cfg) as rag:
                # a search shows retrieval.top_k results; rerank.top_n sizes an answer's context only
                res = rag.search(query, filters=spec, top_k=top_k or cfg.retrieval.top_k, mode=mode, rerank=rerank)
        except RagkitError as exc:
            typer.echo(f"search failed: {plain(exc)}", err=True)
            raise typer.Exit(2)
        hits = res.results
        if json_out:
            out = {
                "query": query,
                "reranked": res.reranked,
                "rerank_note": res.rerank_note,
                "timings_ms": {k: round(v * 1000, 2) for k, v in res.timings.items()},
                "results": [scored_to_dict(h) for h in hits],
            }
            typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
            return
        from rich.console import Console

        console = Console()
        if res.rerank_note:
            console.print(f"[yellow]note:[/yellow] {term(res.rerank_note)}")
        if not hits:
            console.print("no results")
        for h in hits:
            c = h.chunk
            word = "slide" if (c.metadata or {}).get("page_label") == "slide" else "page"  # PPTX pages are slides
            where = term(c.source) + (f", {word} {c.page}" if c.page is not None else "")
            where += f" § {term(c.section)}" if c.section else ""
            console.print(f"[bold]{h.rank:>2}.[/bold] [cyan]{h.score:.4f}[/cyan]  {where}", highlight=False)
            console.print(f"    {term(snippet(c.text))}", highlight=False)
        ms = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in res.timings.items())
        console.print(f"[dim]{ms}[/dim]")
