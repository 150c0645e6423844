"""Issue 13 item 1: every file a suite names resolves inside the suite's folder (after symlinks),
the shared data folder, or a folder the operator allows (`--allow-path`, $RAGKIT_EVAL_ALLOW_PATHS);
a suite cannot allow itself, and the error names the suite file, the key and the path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from ragkit.errors import SuiteError
from ragkit.evals.suite import ALLOW_ENV, load_suite
from tests.evals.conftest import DOCS, QA, run_cli

REPO = Path(__file__).resolve().parents[2]


def _suite(folder: Path, name: str = "conf", **data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = {"name": name, "corpus": {"paths": ["docs"]}, "queries": {"qa": "qa.jsonl"},
            "config": {"rerank": {"enabled": False}}, "latency_target_s": 600.0, **data}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def _refused(path: Path, key: str, target: Path, **kw) -> str:
    with pytest.raises(SuiteError) as exc:
        load_suite(path, **kw)
    msg = str(exc.value)
    assert str(path.resolve()) in msg and key in msg and str(target) in msg, msg
    assert "--allow-path" in msg
    return msg


@pytest.mark.unit
def test_a_corpus_outside_the_suite_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    deep = tmp_path / "a" / "b" / "c"
    up = "../" * (len(deep.resolve().parts) + 2)
    _refused(_suite(deep, corpus={"paths": [up + "etc"]}), "corpus.paths[0]", Path("/etc"))
    _refused(_suite(deep, corpus={"paths": ["docs", "/etc/passwd"]}), "corpus.paths[1]", Path("/etc/passwd"))
    _refused(_suite(deep, corpus={"beir": "../../corpus.jsonl"}), "corpus.beir", tmp_path / "a" / "corpus.jsonl")
    _refused(_suite(deep, corpus={"squad2": {"path": "~/dev.json"}}, queries={"squad2": {}}), "corpus.squad2.path",
             Path("~/dev.json").expanduser().resolve())
    _refused(_suite(deep, queries={"qa": "../qa.jsonl"}), "queries.qa", tmp_path / "a" / "b" / "qa.jsonl")
    _refused(_suite(deep, queries={"beir": {"queries": "q.jsonl", "qrels": "/tmp/../etc/qrels.tsv"}}),
             "queries.beir.qrels", Path("/etc/qrels.tsv"))
    _refused(_suite(deep, config="../../../ragkit.yaml"), "config", tmp_path / "ragkit.yaml")
    # inside the folder (however spelled) is fine
    assert load_suite(_suite(deep, corpus={"paths": ["docs/../docs", str(deep / "more")]})).corpus.paths


@pytest.mark.unit
def test_a_symlink_out_of_the_suite_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    outside = tmp_path / "secrets"
    outside.mkdir()
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "docs").symlink_to(outside, target_is_directory=True)
    _refused(_suite(folder), "corpus.paths[0]", outside.resolve())
    (folder / "qa.jsonl").symlink_to(outside / "qa.jsonl")
    _refused(_suite(folder, corpus={"paths": ["."]}), "queries.qa", (outside / "qa.jsonl").resolve())


@pytest.mark.unit
def test_only_the_operator_allows_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    folder = tmp_path / "suites"
    path = _suite(folder, corpus={"paths": ["../data/docs"]}, queries={"qa": "../data/qa.jsonl"})
    _refused(path, "corpus.paths[0]", data / "docs")
    assert load_suite(path, allow_paths=[data]).resolve("../data/docs", "corpus.paths[0]") == data / "docs"
    # an allowed folder does not allow its parent
    _refused(path, "queries.qa", data / "qa.jsonl", allow_paths=[data / "docs"])
    # the environment variable (os.pathsep-separated) is the CI form of --allow-path
    monkeypatch.setenv(ALLOW_ENV, os.pathsep.join([str(tmp_path / "nothing"), str(data)]))
    assert load_suite(path).corpus.paths == ["../data/docs"]
    monkeypatch.delenv(ALLOW_ENV)
    # a suite cannot allow itself: there is no such key
    for key in ("allow_paths", "allow_path", "allow"):
        bad = _suite(folder, name="self", **{key: [str(data)]})
        with pytest.raises(SuiteError, match=f"{key}: unknown key"):
            load_suite(bad)


@pytest.mark.unit
def test_the_shared_folder_is_allowed_but_not_beyond_it(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    monkeypatch.setenv("RAGKIT_SHARED_DIR", str(shared))
    folder = tmp_path / "suites"
    ok = load_suite(_suite(folder, corpus={"beir": "${shared}/data/corpus.jsonl"}))
    assert ok.resolve(ok.corpus.beir, "corpus.beir") == shared / "data" / "corpus.jsonl"
    _refused(_suite(folder, corpus={"beir": "${shared}/../../../etc/passwd"}), "corpus.beir", Path("/etc/passwd"))


@pytest.mark.unit
def test_the_shipped_suites_name_what_they_need(monkeypatch):
    """scifact and squad2 read only the shared folder; sample_docs reads docs/, outside evals/, so
    it runs with `--allow-path docs` (or the tests' allow_paths)."""
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    for name in ("scifact", "squad2"):
        load_suite(REPO / "evals" / f"{name}.yaml")
    path = REPO / "evals" / "sample_docs.yaml"
    _refused(path, "corpus.paths[0]", REPO / "docs")
    suite = load_suite(path, allow_paths=[REPO / "docs"])
    assert suite.resolve("../docs", "corpus.paths[0]") == REPO / "docs"


@pytest.mark.integration
def test_cli_refuses_then_allows_an_outside_corpus(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    corpus = tmp_path / "elsewhere"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text)
    folder = tmp_path / "suites"
    folder.mkdir()
    (folder / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QA[:1]))
    path = _suite(folder, corpus={"paths": ["../elsewhere"]}, checks=["retrieval"])
    out, work = tmp_path / "out", tmp_path / "work"
    res = run_cli(str(path), "--work-dir", str(work), "--out", str(out))
    assert res.exit_code == 2, res.output
    assert "corpus.paths[0]" in res.output and str(corpus) in res.output and str(path.resolve()) in res.output
    assert not out.exists() and not (work / "conf" / "index").exists()  # refused before anything ran
    res = run_cli(str(path), "--work-dir", str(work), "--out", str(out), "--allow-path", str(corpus))
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["corpus"]["ingest"]["added"] == 2 and report["metrics"]["retrieval.recall@k"] == 1.0


@pytest.mark.integration
def test_a_suite_config_cannot_follow_links_out_of_its_corpus(tmp_path, monkeypatch):
    """ingest.follow_external_links in a suite's own config would let a link in its folder read
    anything: an eval never follows links out of its corpus folders."""
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n\nThe vault code is 7491. Nobody outside may read it.\n")
    folder = tmp_path / "suite"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "guide.md").write_text(DOCS["guide.md"])
    (folder / "docs" / "secret.md").symlink_to(outside / "secret.md")
    (folder / "qa.jsonl").write_text(json.dumps({"question": "What is the vault code?", "answers": ["7491"],
                                                 "sources": ["secret.md"]}) + "\n")
    path = _suite(folder, checks=["retrieval"],
                  config={"rerank": {"enabled": False}, "ingest": {"follow_external_links": True}})
    out = tmp_path / "out"
    res = run_cli(str(path), "--work-dir", str(tmp_path / "work"), "--out", str(out))
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    ingest = report["corpus"]["ingest"]
    assert ingest["added"] == 1 and [f["source"] for f in ingest["failures"]] == ["secret.md"], ingest
    assert "symlink" in ingest["failures"][0]["reason"]
    assert report["config"]["ingest"]["follow_external_links"] is False
    assert report["metrics"]["retrieval.recall@k"] == 0.0
