"""Acceptance 5: `ragkit cost` over a seeded ledger: report, JSON, CSV and chart agree with the ledger."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
import typer
from typer.testing import CliRunner

from ragkit.cli.cost import register
from ragkit.orchestrate.cost_report import build_report, parse_since, percentile_nearest_rank
from ragkit.orchestrate.ledger import Ledger, LedgerRow

DAY1 = datetime(2026, 10, 1, 12, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2026, 10, 2, 12, tzinfo=timezone.utc).timestamp()
ROUTE = json.dumps({"mode": "cascade", "route": "small", "escalated": False})
ESC = json.dumps({"mode": "cascade", "route": "large", "escalated": True})


def _seed(path) -> list[LedgerRow]:
    rows = [
        # q1: a retried small call, kept small (counterfactual 0.004 on the large model)
        LedgerRow(DAY1, "r", "a", "generate", "openai", "gpt-4o-mini", "ServerError", "q1", attempt=1, cost_usd=0.0,
                  route="small", routing=ROUTE),
        LedgerRow(DAY1 + 1, "r", "a", "generate", "openai", "gpt-4o-mini", "ok", "q1", 1000, 100, 2048, 0, 0.001,
                  attempt=2, route="small", routing=ROUTE, counterfactual_usd=0.004),
        LedgerRow(DAY1 + 2, "r", "e", "embed", "openai", "text-embedding-3-small", "ok", "q1", 50, cost_usd=0.000001,
                  kind="embedding"),
        # q2: escalated (small 0.0005 + large 0.003; counterfactual 0.003 -> routing cost 0.0005 more)
        LedgerRow(DAY2, "r", "b", "generate", "openai", "gpt-4o-mini", "ok", "q2", 500, 50, cost_usd=0.0005,
                  route="small", routing=ROUTE),
        LedgerRow(DAY2 + 1, "r", "b", "generate", "anthropic", "claude-sonnet-4-6", "ok", "q2", 400, 60, 0, 1500,
                  0.003, route="large", routing=ESC, counterfactual_usd=0.003),
        # q3: an exact cache hit that saved 0.001
        LedgerRow(DAY2 + 2, "r", "c", "generate", "openai", "gpt-4o-mini", "cache_hit", "q3", cost_usd=0.0,
                  cache_hit="exact", saved_usd=0.001, route="small", routing=ROUTE),
        # q4: a local model with no price
        LedgerRow(DAY2 + 3, "r", "d", "generate", "openai", "my-local", "ok", "q4", 10, 10, cost_usd=None),
    ]
    with Ledger(path) as led:
        for r in rows:
            led.record(r)
    return rows


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    ledger = tmp_path / "ledger.db"
    rows = _seed(ledger)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["cost", "--ledger", str(ledger), *args]), rows, tmp_path


@pytest.mark.unit
def test_report_numbers_by_hand(tmp_path):
    rows = _seed(tmp_path / "l.db")
    with Ledger(tmp_path / "l.db") as led:
        report = build_report(led.dicts())
    t = report["totals"]
    assert t["cost_usd"] == pytest.approx(0.004501) and t["unknown_cost_rows"] == 1
    assert (t["calls"], t["cache_hits"], t["failed"]) == (6, 1, 1)
    assert t["cache_read_tokens"] == 2048 and t["cache_write_tokens"] == 1500
    assert report["cache"]["requests"] == 4 and report["cache"]["hit_rate"] == pytest.approx(0.25)
    assert report["cache"]["saved_usd"] == pytest.approx(0.001)
    # routing: q1 saved 0.004 - 0.001; q2 cost 0.0035 against 0.003
    assert report["routing"]["requests"] == 2 and report["routing"]["escalations"] == 1
    assert report["routing"]["saved_usd"] == pytest.approx(0.003 - 0.0005)
    per_q = sorted([0.001001, 0.0035, 0.0, 0.0])
    assert report["per_query"]["mean_usd"] == pytest.approx(sum(per_q) / 4)
    assert report["per_query"]["p95_usd"] == pytest.approx(0.0035)
    by_day = {d["day"]: d["cost_usd"] for d in report["by_day"]}
    assert by_day == {"2026-10-01": pytest.approx(0.001001), "2026-10-02": pytest.approx(0.0035)}
    by_stage = {s["stage"]: s["cost_usd"] for s in report["by_stage"]}
    assert by_stage == {"generate": pytest.approx(0.0045), "embed": pytest.approx(0.000001)}
    by_model = {m["model"]: m["cost_usd"] for m in report["by_model"]}
    assert by_model["claude-sonnet-4-6"] == pytest.approx(0.003) and by_model["my-local"] == 0.0
    assert sum(r.cost_usd or 0 for r in rows) == pytest.approx(t["cost_usd"])


@pytest.mark.unit
def test_since_and_percentile():
    now = 1_000_000.0
    assert parse_since("7d", now) == now - 7 * 86400 and parse_since("30m", now) == now - 1800
    assert parse_since("2026-10-02", now) == DAY2 - 12 * 3600
    assert parse_since(None, now) is None
    assert percentile_nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10
    assert percentile_nearest_rank([5], 95) == 5 and percentile_nearest_rank([], 95) is None


@pytest.mark.integration
def test_cli_text_json_csv(cli):
    run, rows, _ = cli
    text = run()
    assert text.exit_code == 0, text.output
    assert "$0.004501" in text.output and "claude-sonnet-4-6" in text.output and "hit rate 25.0%" in text.output
    assert "1 rows with unknown cost" in text.output
    out = run("--json")
    report = json.loads(out.stdout)
    assert report["totals"]["cost_usd"] == pytest.approx(sum(r.cost_usd or 0 for r in rows))
    assert report["cache"]["saved_usd"] == pytest.approx(0.001)
    since = json.loads(run("--json", "--since", "2026-10-02").stdout)
    assert since["totals"]["cost_usd"] == pytest.approx(0.0035) and since["rows"] == 4
    table = list(csv.reader(io.StringIO(run("--csv").stdout)))
    assert table[0][0] == "section" and table[1][:2] == ["total", "all"]
    cost_col = table[0].index("cost_usd")
    assert float(table[1][cost_col]) == pytest.approx(0.004501)
    assert ["day", "2026-10-01"] == table[[r[:2] for r in table].index(["day", "2026-10-01"])][:2]


@pytest.mark.integration
@pytest.mark.parametrize("name", ["cost.png", "cost.html"])
def test_cli_chart(cli, name):
    run, _, tmp = cli
    out = run("--chart", str(tmp / name), "--json")
    assert out.exit_code == 0, out.output
    path = tmp / name
    assert path.is_file() and path.stat().st_size > 2000
    if name.endswith(".png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        page = path.read_text()
        assert "<svg" in page and "$0.004501" in page
        assert "<script" not in page and "src=\"http" not in page  # self-contained


@pytest.mark.integration
def test_cli_without_a_ledger_and_with_bad_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["cost", "--ledger", str(tmp_path / "none.db")])
    assert out.exit_code == 0 and "no ledger rows" in out.stdout
    assert runner.invoke(app, ["cost", "--ledger", str(tmp_path / "none.db"), "--since", "yesterday"]).exit_code == 2
    assert runner.invoke(app, ["cost", "--ledger", str(tmp_path / "n.db"), "--chart", "x.svg"]).exit_code == 2
