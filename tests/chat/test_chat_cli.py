"""`ragkit chat`: one turn with --session and --json, the session shown and deleted, and the
interactive loop's commands (/sources, /session, /reset, /quit) read from stdin."""

from __future__ import annotations

import json

import pytest
import typer
import yaml
from typer.testing import CliRunner

from ragkit.rag import RAG

pytestmark = pytest.mark.integration
DOC = ("# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019 by the Northwind "
       "energy board.\n")


def chat_app() -> typer.Typer:
    from ragkit.cli.chat import register

    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    register(app)
    return app


def test_one_turn_json_show_delete_and_interactive(tmp_path, embedder_warm):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "alpha.md").write_text(DOC)
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False},
           "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None}}
    with RAG(cfg, embedder=embedder_warm) as rag:
        rag.ingest([tmp_path / "docs"])
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = CliRunner()
    app = chat_app()
    first = run.invoke(app, ["chat", "-c", str(path), "--session", "s", "What does the alpha reactor run at?",
                             "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["standalone_question"] == "What does the alpha reactor run at?"
    second = run.invoke(app, ["chat", "-c", str(path), "-s", "s", "Who commissioned it?"], catch_exceptions=False)
    assert second.exit_code == 0 and "(asked as: " in second.output and "Northwind" in second.output
    shown = run.invoke(app, ["chat", "-c", str(path), "-s", "s", "--show"], catch_exceptions=False)
    assert "[2] you: Who commissioned it?" in shown.output
    live = run.invoke(app, ["chat", "-c", str(path), "-s", "s"], input="/sources\nHow hot does it run?\n/sources\n"
                      "/session other\n/reset\n/quit\n", catch_exceptions=False)
    assert live.exit_code == 0 and "2 earlier turn(s)" in live.output and "no sources yet" in live.output
    assert "alpha.md" in live.output and "session other reset" in live.output
    gone = run.invoke(app, ["chat", "-c", str(path), "-s", "s", "--delete"], catch_exceptions=False)
    assert "deleted session s (3 turn(s))" in gone.output
