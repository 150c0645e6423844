"""The command line on the bundled sample docs: ingest exit codes, search, query, config show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def ragkit(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "ragkit.cli.__main__", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    shutil.copytree(REPO / "docs", d / "docs")
    (d / "ragkit.yaml").write_text("rerank:\n  enabled: false\n")
    r = ragkit("ingest", "docs", "--json", cwd=d)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["added"] >= 10 and report["failed"] == 0
    return d


def test_second_ingest_is_all_unchanged(workdir: Path) -> None:
    r = ragkit("ingest", "docs", "--json", cwd=workdir)
    assert r.returncode == 0
    rep = json.loads(r.stdout)
    assert rep["embedded"] == 0 and rep["added"] == 0 and rep["unchanged"] >= 10


def test_ingest_exit_code_1_when_some_files_fail(workdir: Path) -> None:
    bad = workdir / "mixed"
    bad.mkdir()
    (bad / "good.md").write_text("# Good\n\nThis file is fine and has text.")
    (bad / "empty.txt").write_text("")
    r = ragkit("ingest", "mixed", "--json", cwd=workdir)
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["added"] == 1 and rep["failed"] == 1
    assert rep["failures"][0]["source"] == "empty.txt" and "empty" in rep["failures"][0]["reason"].lower()


def test_ingest_exit_code_2_when_nothing_could_be_done(workdir: Path) -> None:
    r = ragkit("ingest", "does-not-exist", "--json", cwd=workdir)
    assert r.returncode == 2
    r = ragkit("ingest", "docs", cwd=workdir, env={"RAGKIT_CHUNKING__CHUNK_SISE": "3"})
    assert r.returncode == 2 and "chunking.chunk_sise: unknown key" in r.stderr


def test_search_json(workdir: Path) -> None:
    r = ragkit("search", "scale out to a Qdrant server", "--json", "--top-k", "3", cwd=workdir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["results"]) == 3 and out["results"][0]["rank"] == 1
    assert any(h["source"] == "reference/deployment.pdf" for h in out["results"])


def test_search_with_filter_returns_only_matching(workdir: Path) -> None:
    r = ragkit("search", "configuration", "--json", "--filter", "source=guides/*.md", cwd=workdir)
    assert r.returncode == 0, r.stderr
    sources = {h["source"] for h in json.loads(r.stdout)["results"]}
    assert sources and all(s.startswith("guides/") for s in sources)


def test_search_unknown_filter_field_is_an_error(workdir: Path) -> None:
    r = ragkit("search", "anything", "--filter", "colour=blue", cwd=workdir)
    assert r.returncode == 2 and "colour" in r.stderr


def test_query_answers_with_verified_citations(workdir: Path) -> None:
    r = ragkit("query", "Which store backend setting scales out to a Qdrant server?", "--json", cwd=workdir)
    assert r.returncode == 0, r.stderr
    ans = json.loads(r.stdout)
    assert not ans["abstained"] and ans["citations"]
    assert all(c["chunk_id"] for c in ans["citations"])
    assert ans["cost_usd"] == 0.0 and ans["model"] == "extractive"


def test_query_human_output(workdir: Path) -> None:
    r = ragkit("query", "What are the ingest exit codes?", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert "citations" in r.stdout and "cost $0.000000" in r.stdout


def test_query_stream_prints_the_same_answer_as_it_is_written(workdir: Path) -> None:
    q = "What are the ingest exit codes?"
    plain = json.loads(ragkit("query", q, "--json", cwd=workdir).stdout)
    r = ragkit("query", q, "--stream", cwd=workdir)
    assert r.returncode == 0, r.stderr
    first_line = " ".join(plain["text"].split())[:60]
    assert first_line in " ".join(r.stdout.split()) and "citations" in r.stdout and "cost $0.000000" in r.stdout


def test_config_show_redacts(workdir: Path) -> None:
    r = ragkit("config", "show", "--json", cwd=workdir, env={"RAGKIT_STORE__URL": "https://u:pw123@h:6333"})
    assert r.returncode == 0, r.stderr
    assert "pw123" not in r.stdout and json.loads(r.stdout)["rerank"]["enabled"] is False


def test_search_shows_retrieval_top_k_results_by_default(workdir: Path) -> None:
    r = ragkit("search", "Which store backend scales out to a Qdrant server?", "--json", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["results"]) == 10  # retrieval.top_k, with or without a reranker
