"""Issue 13 item 4: a damaged cost ledger never costs money it cannot record, never loses a paid
answer, never resets spend silently, and `ragkit cost` reports the damage instead of a traceback.

Every test drives the real OpenAI SDK against the loopback server and a real SQLite ledger file."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
import typer
from typer.testing import CliRunner

from ragkit.cli.cost import register
from ragkit.errors import LedgerError
from ragkit.orchestrate.ledger import Ledger
from ragkit.types import Message
from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply
from tests.orchestrate.helpers import gateway_for

pytestmark = pytest.mark.integration
MSGS = [Message("system", "S"), Message("user", "Q")]
MODEL = "gpt-4o-mini"
COST = (1000 * 0.15 + 100 * 0.60) / 1e6  # 1000 in, 100 out on gpt-4o-mini


def _gateway(tmp_path, loopback, **kw):
    return gateway_for(tmp_path, {"small": openai_route(loopback, MODEL)}, **kw)


def _seed_spend(tmp_path, loopback):
    """A real ledger with one paid call in it, closed (WAL checkpointed into the file)."""
    g = _gateway(tmp_path, loopback)
    loopback.script(MODEL, Reply.ok("first", input_tokens=1000, output_tokens=100))
    assert g.complete(MSGS).cost_usd == pytest.approx(COST)
    g.close()
    loopback.reset()
    path = tmp_path / "ledger.db"
    assert path.stat().st_size > 0 and not (tmp_path / "ledger.db-wal").exists()
    return path


def _truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


def _chat_calls(loopback):
    return loopback.requests("/chat/completions")


def _cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["cost", "--ledger", str(tmp_path / "ledger.db"), *args])


# ---- refused before the paid call ----------------------------------------------------------------
def test_half_truncated_ledger_refuses_the_paid_call_before_making_it(tmp_path, loopback, fake_keys):
    path = _seed_spend(tmp_path, loopback)
    _truncate(path, path.stat().st_size // 2)
    before = path.read_bytes()
    g = _gateway(tmp_path, loopback)
    loopback.script(MODEL, Reply.ok("second", input_tokens=1000, output_tokens=100))
    with pytest.raises(LedgerError) as err:
        g.complete(MSGS)
    g.close()
    msg = str(err.value)
    assert err.value.damaged and str(path) in msg and "malformed" in msg
    assert "was not made" in msg and "ragkit cost --move-aside" in msg and "backup" in msg
    assert _chat_calls(loopback) == []  # nothing was paid for
    assert path.read_bytes() == before  # left as it was, for inspection


def test_emptied_ledger_does_not_restart_the_day_budget(tmp_path, loopback, fake_keys):
    path = _seed_spend(tmp_path, loopback)
    _truncate(path, 0)
    g = _gateway(tmp_path, loopback, budget={"per_day_usd": COST * 1.5})  # one more call would pass it
    loopback.script(MODEL, Reply.ok("second", input_tokens=1000, output_tokens=100))
    with pytest.raises(LedgerError, match="0 bytes") as err:
        g.complete(MSGS)
    g.close()
    assert err.value.damaged and str(path) in str(err.value)
    assert _chat_calls(loopback) == []
    assert path.stat().st_size == 0  # not silently recreated


def test_a_file_that_is_not_a_database_is_refused(tmp_path, loopback, fake_keys):
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not sqlite\n" * 500)
    g = _gateway(tmp_path, loopback)
    loopback.script(MODEL, Reply.ok("x"))
    with pytest.raises(LedgerError, match="not a database"):
        g.complete(MSGS)
    g.close()
    assert _chat_calls(loopback) == [] and path.read_bytes() == b"this is not sqlite\n" * 500


def test_a_sqlite_file_of_another_application_is_refused(tmp_path, loopback, fake_keys):
    import sqlite3

    path = tmp_path / "ledger.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    g = _gateway(tmp_path, loopback)
    with pytest.raises(LedgerError, match="no `calls` table"):
        g.complete(MSGS)
    g.close()
    assert _chat_calls(loopback) == []


def test_paid_embeddings_are_refused_on_a_damaged_ledger(tmp_path, loopback, fake_keys):
    from ragkit.models.embedders.openai import OpenAIEmbedder

    path = _seed_spend(tmp_path, loopback)
    _truncate(path, path.stat().st_size // 2)
    g = _gateway(tmp_path, loopback)
    e = OpenAIEmbedder("text-embedding-3-small", base_url=loopback.openai_base_url, runner=g.embedding_runner())
    with pytest.raises(LedgerError, match="malformed"):
        e.embed(["hello"])
    g.close()
    assert loopback.requests("/embeddings") == []


def test_the_free_extractive_generator_still_answers_on_a_damaged_ledger(tmp_path, loopback, fake_keys):
    from ragkit.answer.generators import ExtractiveGenerator, api_routes
    from ragkit.config import load_config
    from ragkit.orchestrate import ManualClock, build_gateway
    from ragkit.types import Chunk, GenerationRequest, ScoredChunk

    path = _seed_spend(tmp_path, loopback)
    _truncate(path, 0)
    cfg = load_config(overrides={"home": str(tmp_path), "budget": {"per_day_usd": 1.0}}, env={})
    g = build_gateway(cfg, routes=api_routes(cfg), clock=ManualClock(real_time=True))
    chunk = ScoredChunk(Chunk("c1", "f.md", "Paris is the capital of France.", 0, 31, 0, "h"), 0.9, 1)
    r = ExtractiveGenerator(gateway=g).generate(GenerationRequest("What is the capital of France?", (chunk,),
                                                                  tuple(MSGS)))
    g.close()
    assert r.completion.text == "Paris is the capital of France. [Source: f.md]" and r.cost_usd == 0.0
    assert any("not recorded" in n and str(path) in n for n in r.notes)
    assert path.stat().st_size == 0  # still not recreated behind the user's back


# ---- recording fails after the paid call ---------------------------------------------------------
def test_damage_during_a_paid_call_keeps_the_answer_and_its_cost(tmp_path, loopback, fake_keys, caplog):
    path = _seed_spend(tmp_path, loopback)
    backup = tmp_path / "backup.db"
    shutil.copy(path, backup)
    g = _gateway(tmp_path, loopback)
    assert g.ledger.count() == 1  # opened and checked healthy before the call

    def damage_then_answer(_path, _body):  # the file is damaged while the paid call is in flight
        g.ledger.close()
        _truncate(path, path.stat().st_size // 2)
        return Reply.ok("the paid answer", input_tokens=1000, output_tokens=100)

    loopback.responder = damage_then_answer
    with caplog.at_level(logging.WARNING):
        r = g.complete(MSGS)
    assert r.completion.text == "the paid answer" and r.cost_usd == pytest.approx(COST)
    note = next(n for n in r.notes if "not recorded" in n)
    assert str(path) in note and "pending" in note
    assert any("not recorded" in rec.getMessage() for rec in caplog.records)
    assert fake_keys["openai"] not in caplog.text and fake_keys["openai"] not in note

    loopback.responder = None
    loopback.script(MODEL, Reply.ok("third"))
    with pytest.raises(LedgerError):  # the next paid call is refused: it could not be recorded
        g.complete(MSGS)
    assert len(_chat_calls(loopback)) == 1
    g.close()

    pending = (tmp_path / "ledger.db.pending.jsonl").read_text().splitlines()
    assert len(pending) == 1 and json.loads(pending[0])["cost_usd"] == pytest.approx(COST)
    shutil.copy(backup, path)  # the user restores the ledger from a backup
    with Ledger(path) as led:
        assert led.count() == 2 and led.spent() == pytest.approx(2 * COST)  # the kept row was added
    with Ledger(path) as led:
        assert led.count() == 2  # and only once
    assert not (tmp_path / "ledger.db.pending.jsonl").exists()


def test_when_even_the_pending_file_cannot_be_written_the_answer_is_still_returned(tmp_path, loopback,
                                                                                     fake_keys, caplog):
    path = _seed_spend(tmp_path, loopback)
    (tmp_path / "ledger.db.pending.jsonl").mkdir()  # cannot be appended to (like a full disk)
    g = _gateway(tmp_path, loopback)
    assert g.ledger.count() == 1

    def damage_then_answer(_path, _body):
        g.ledger.close()
        _truncate(path, 0)
        return Reply.ok("the paid answer", input_tokens=1000, output_tokens=100)

    loopback.responder = damage_then_answer
    with caplog.at_level(logging.WARNING):
        r = g.complete(MSGS)
    g.close()
    assert r.completion.text == "the paid answer"
    note = next(n for n in r.notes if "not recorded" in n)
    assert f"${COST:.6f}" in note and MODEL in note  # the cost is at least in the note and the log
    assert any(f"${COST:.6f}" in rec.getMessage() for rec in caplog.records)
    assert fake_keys["openai"] not in caplog.text


def test_pending_rows_are_replayed_once_even_after_a_crash_mid_replay(tmp_path, loopback, fake_keys):
    path = _seed_spend(tmp_path, loopback)
    with Ledger(path) as led:
        row = led.rows()[0]
    journal = tmp_path / "ledger.db.pending.jsonl"
    # the row was written to the ledger, but the crash came before the pending file was removed
    journal.write_text(json.dumps({"v": 1, **row.__dict__}) + "\n" + "{torn line\n")
    with Ledger(path) as led:
        assert led.count() == 1
    assert not journal.exists() and "{torn line" in (tmp_path / "ledger.db.pending.jsonl.bad").read_text()


def test_a_new_home_creates_its_ledger_and_says_nothing(tmp_path, loopback, fake_keys):
    g = _gateway(tmp_path, loopback)
    loopback.script(MODEL, Reply.ok("a", input_tokens=1000, output_tokens=100))
    r = g.complete(MSGS)
    g.close()
    assert not any("ledger" in n for n in r.notes)
    with Ledger(tmp_path / "ledger.db") as led:
        assert led.spent() == pytest.approx(COST)
    assert not list(tmp_path.glob(".ledger.db.new-*"))


# ---- `ragkit cost` -------------------------------------------------------------------------------
def test_cost_reports_a_truncated_ledger_without_a_traceback(tmp_path, loopback, fake_keys, monkeypatch):
    path = _seed_spend(tmp_path, loopback)
    _truncate(path, path.stat().st_size // 2)
    before = path.read_bytes()
    res = _cli(tmp_path, monkeypatch)()
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit)
    assert str(path) in res.output and "malformed" in res.output and "Traceback" not in res.output
    assert "--move-aside" in res.output
    assert path.read_bytes() == before


def test_cost_reports_an_emptied_ledger_instead_of_an_empty_report(tmp_path, loopback, fake_keys, monkeypatch):
    path = _seed_spend(tmp_path, loopback)
    _truncate(path, 0)
    res = _cli(tmp_path, monkeypatch)("--json")
    assert res.exit_code == 2 and "0 bytes" in res.output and str(path) in res.output
    assert path.stat().st_size == 0


def test_move_aside_starts_a_new_ledger_knowingly_and_keeps_pending_rows(tmp_path, loopback, fake_keys,
                                                                         monkeypatch):
    path = _seed_spend(tmp_path, loopback)
    g = _gateway(tmp_path, loopback)
    assert g.ledger.count() == 1

    def damage_then_answer(_path, _body):
        g.ledger.close()
        _truncate(path, path.stat().st_size // 2)
        return Reply.ok("paid", input_tokens=1000, output_tokens=100)

    loopback.responder = damage_then_answer
    assert g.complete(MSGS).completion.text == "paid"
    g.close()
    damaged = path.read_bytes()
    cost = _cli(tmp_path, monkeypatch)
    res = cost("--move-aside")
    assert res.exit_code == 0, res.output
    moved = list(tmp_path.glob("ledger.db.damaged-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == damaged and str(moved[0]) in res.output
    assert "$0" in res.output  # it says the history restarts
    res = cost("--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output[res.output.index("{"):])
    assert report["rows"] == 1 and report["totals"]["cost_usd"] == pytest.approx(COST)  # the kept row


def test_move_aside_refuses_a_healthy_ledger(tmp_path, loopback, fake_keys, monkeypatch):
    path = _seed_spend(tmp_path, loopback)
    before = path.read_bytes()
    res = _cli(tmp_path, monkeypatch)("--move-aside")
    assert res.exit_code == 2 and "healthy" in res.output
    assert path.read_bytes() == before and not list(tmp_path.glob("ledger.db.damaged-*"))


def test_cost_reports_what_the_integrity_check_found(tmp_path, loopback, fake_keys, monkeypatch):
    from ragkit.orchestrate.ledger import LedgerRow

    path = tmp_path / "ledger.db"
    with Ledger(path) as led:
        for i in range(300):
            led.record(LedgerRow(1.0e9 + i, "r", f"q{i}", "generate", "openai", MODEL, "ok", cost_usd=0.001))
    with open(path, "r+b") as f:  # bytes overwritten inside a table page: SQLite still opens it
        f.seek(4096 * 3 + 100)
        f.write(b"\xff" * 200)
    res = _cli(tmp_path, monkeypatch)()
    assert res.exit_code == 2 and "quick_check" in res.output and "page" in res.output
    assert "Traceback" not in res.output
