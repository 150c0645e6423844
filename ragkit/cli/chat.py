"""`ragkit chat`: a conversation over the index. Interactive (a prompt per turn; `/reset` starts the
session over, `/sources` lists the last answer's sources, `/session NAME` switches session,
`/sessions` lists them, `/quit`), or one turn: `ragkit chat --session S "message"` (`--json`).
Each follow-up is condensed into a standalone question first (shown when it changed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ragkit.cli.app import ConfigOpt, get_config
from ragkit.cli.safe_text import plain, term
from ragkit.errors import RagkitError

HELP = "/reset  /sources  /session NAME  /sessions  /history  /quit"


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        message: Optional[str] = typer.Argument(None, help="One turn; without it, an interactive chat."),
        session: str = typer.Option("default", "--session", "-s", help="The session (kept under the home folder)."),
        config: Optional[Path] = ConfigOpt,
        filters: List[str] = typer.Option([], "--filter", "-f", help="e.g. source=guides/*.md"),
        json_out: bool = typer.Option(False, "--json"),
        show: bool = typer.Option(False, "--show", help="Print the session's turns and exit."),
        delete: bool = typer.Option(False, "--delete", help="Delete the session and exit."),
        list_sessions: bool = typer.Option(False, "--list", help="List the sessions and exit."),
    ) -> None:
        """Chat with the index: follow-ups are condensed into standalone questions, answers cited."""
        from ragkit.rag import RAG
        from ragkit.retrieve.filter_args import parse_filter_args

        cfg = get_config(config)
        try:
            spec = parse_filter_args(filters) if filters else None
            with RAG(cfg) as rag:
                if list_sessions or show or delete:
                    _admin(rag, session, list_sessions, show, delete, json_out)
                    return
                if message is not None:
                    answer = rag.chat(session, message, filters=spec)
                    _print(answer, json_out)
                    return
                _interactive(rag, session, spec, json_out)
        except RagkitError as exc:
            typer.echo(f"chat failed: {plain(exc)}", err=True)
            raise typer.Exit(2)


def _admin(rag, session: str, list_sessions: bool, show: bool, delete: bool, json_out: bool) -> None:
    if list_sessions:
        rows = [s.to_dict() for s in rag.chat_list()]
        if json_out:
            typer.echo(json.dumps(rows, indent=2))
        for s in rows if not json_out else ():
            typer.echo(f"{term(s['session_id'])}\t{s['turns']} turn(s)")
    if show:
        turns = [t.to_dict() for t in rag.chat_show(session)]
        if json_out:
            typer.echo(json.dumps(turns, indent=2, ensure_ascii=False, default=str))
        for t in turns if not json_out else ():
            typer.echo(f"[{t['turn']}] you: {term(t['question'])}")
            if t["standalone"] != t["question"]:
                typer.echo(f"    (asked as: {term(t['standalone'])})")
            typer.echo(f"    ragkit: {term(t['answer'], multiline=True)}")
    if delete:
        n = rag.chat_delete(session)
        typer.echo(f"deleted session {term(session)} ({n} turn(s))" if n else f"no session {term(session)}")


def _print(answer, json_out: bool) -> None:
    if json_out:
        d = answer.to_dict()
        typer.echo(json.dumps(d, indent=2, ensure_ascii=False, default=str))
        return
    from ragkit.cli.query import _print as print_answer

    if answer.standalone_question != answer.question:
        typer.echo(f"(asked as: {term(answer.standalone_question)})")
    print_answer(answer, show_context=False)


def _interactive(rag, session: str, spec, json_out: bool) -> None:
    typer.echo(f"ragkit chat, session {term(session)} ({len(rag.chat_show(session))} earlier turn(s)). {HELP}")
    last = None
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not line:
            continue
        if line.startswith("/"):
            cmd, _, arg = line.partition(" ")
            if cmd in ("/quit", "/exit"):
                return
            if cmd == "/reset":
                rag.chat_delete(session)
                last = None
                typer.echo(f"session {term(session)} reset")
            elif cmd == "/session" and arg.strip():
                session = arg.strip()
                typer.echo(f"session {term(session)} ({len(rag.chat_show(session))} earlier turn(s))")
            elif cmd == "/sessions":
                for s in rag.chat_list():
                    typer.echo(f"{term(s.session_id)}\t{s.turns} turn(s)")
            elif cmd == "/history":
                _admin(rag, session, False, True, False, False)
            elif cmd == "/sources":
                if last is None or not last.chunks:
                    typer.echo("no sources yet")
                for h in (last.chunks if last is not None else ()):
                    page = f", page {h.chunk.page}" if h.chunk.page is not None else ""
                    typer.echo(f"  {term(h.chunk.source)}{page}  score {h.score:.3f}")
            else:
                typer.echo(HELP)
            continue
        last = rag.chat(session, line, filters=spec)
        _print(last, json_out)
        sys.stdout.flush()
