"""Issue 13 item 4 through the command line: `ragkit query` with a paid OpenAI route (loopback server)
and a damaged ledger refuses before calling the provider, and says why; no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.loopback.fixtures import FAKE_OPENAI_KEY, openai_route
from tests.loopback.server import Reply

pytestmark = pytest.mark.integration
QUESTION = "At what temperature does the alpha reactor run?"
ANSWER = "The alpha reactor runs at 451 kelvin. [Source: alpha.md]"


def ragkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # with fake_keys' throwaway keys and key-host settings
    return subprocess.run([sys.executable, "-m", "ragkit.cli.__main__", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def workdir(tmp_path, loopback, fake_keys) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "alpha.md").write_text(
        "# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019.\n", encoding="utf-8")
    cfg = {"rerank": {"enabled": False}, "cache": {"enabled": False},
           "llm": {"small": openai_route(loopback, "gpt-4o-mini", timeout_s=10.0), "routing": {"mode": "none"}},
           "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None}}
    (tmp_path / "ragkit.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    r = ragkit("ingest", "docs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    loopback.script(None, Reply.ok(ANSWER, input_tokens=900, output_tokens=20))
    r = ragkit("query", QUESTION, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cost_usd"] > 0
    assert len(loopback.requests("/chat/completions")) == 1
    return tmp_path


def _ledger(workdir: Path) -> Path:
    found = list(workdir.rglob("ledger.db"))
    assert len(found) == 1, found
    return found[0]


def test_query_on_a_damaged_ledger_refuses_before_the_paid_call(workdir, loopback):
    path = _ledger(workdir)
    healthy = path.read_bytes()
    for damage, found in ((len(healthy) // 2, "malformed"), (0, "0 bytes")):
        path.write_bytes(healthy[:damage])
        loopback.script(None, Reply.ok(ANSWER, input_tokens=900, output_tokens=20))
        r = ragkit("query", QUESTION, cwd=workdir)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and str(path) in r.stderr and "was not made" in r.stderr
        assert found in r.stderr and "--move-aside" in r.stderr
        assert FAKE_OPENAI_KEY not in r.stderr + r.stdout
        assert len(loopback.requests("/chat/completions")) == 1  # only the healthy query's call
        assert path.read_bytes() == healthy[:damage]  # left as it was
