"""Issue 13 item 2: `ragkit eval` shows progress with an ETA (plain lines on stderr when it is not a
terminal), and the asked questions are embedded in batches, with the same answers as asking alone."""

from __future__ import annotations

import re

import pytest

from ragkit.evals.progress import PlainProgress
from tests.evals.conftest import QA, run_cli, write_suite


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.unit
def test_plain_progress_prints_a_line_per_tenth_with_an_eta():
    lines: list[str] = []
    clock = Clock()
    p = PlainProgress(lines.append, clock=clock, steps=10, every_s=1e9)
    p("ask", 0, 200)
    assert lines == ["ask: 0/200"]
    clock.t = 5.0
    p("ask", 10, None)  # 5%: no line yet
    assert len(lines) == 1
    clock.t = 10.0
    p("ask", 10, None)  # 10%: 10 s for 20 queries, 180 to go at 0.5 s each
    assert lines[-1] == "ask: 20/200 (10%), 10 s elapsed, about 1 min 30 s left"
    clock.t = 12.0
    p("ask", 1, None)
    assert len(lines) == 2
    clock.t = 100.0
    p("ask", 179, None)
    assert lines[-1] == "ask: 200/200 (100%), done in 1 min 40 s"
    p("search", 0, 3)  # phases are independent
    assert lines[-1] == "retrieval: 0/3"


@pytest.mark.unit
def test_plain_progress_also_prints_after_every_s_seconds():
    lines: list[str] = []
    clock = Clock()
    p = PlainProgress(lines.append, clock=clock, steps=10, every_s=30.0)
    p("ask", 0, 10_000)
    clock.t = 31.0
    p("ask", 5, None)  # 0.05 %, but 31 s since the last line
    assert len(lines) == 2 and lines[-1].startswith("ask: 5/10000 (0%), 31 s elapsed, about ")
    clock.t = 32.0
    p("ask", 5, None)
    assert len(lines) == 2


@pytest.mark.integration
def test_cli_prints_plain_progress_lines_when_stderr_is_not_a_terminal(tiny):
    suite = write_suite(tiny, name="progress")
    res = run_cli(str(suite), "--work-dir", str(tiny / "work"), "--out", str(tiny / "out-progress"))
    assert res.exit_code == 0, res.output
    err = res.stderr
    for phase, n in (("retrieval", 3), ("ask", 4)):
        assert re.search(rf"^{phase}: 0/{n}$", err, re.M), err
        assert re.search(rf"^{phase}: {n}/{n} \(100%\), done in ", err, re.M), err
    assert re.search(r"^ingest \(chunks\): \d+/\d+ \(100%\)", err, re.M), err


@pytest.mark.integration
def test_asked_questions_are_embedded_in_one_batch_with_the_answers_of_asking_alone(tiny):
    from ragkit.evals.runner import RunOptions, run_suite
    from ragkit.evals.suite import load_suite
    from ragkit.evals.workdir import base_config, corpus_paths, eval_config, work_dir
    from ragkit.rag import RAG

    suite = load_suite(write_suite(tiny, name="batched"))
    report = run_suite(suite, RunOptions(work_root=tiny / "work"))
    batches = report["run"]["query_embedding"]["ask"]
    assert batches["queries"] == 4 and batches["batches"] == 1 and batches["seconds"] > 0
    latency = next(c for c in report["checks"] if c["id"] == "latency")
    assert latency["details"]["embed_alone_s"]["n"] >= 1  # a query embedded alone, timed on its own

    home = work_dir(suite, tiny / "work")
    cfg, rebuilt = eval_config(base_config(suite), home, corpus_paths(suite, home))
    assert not rebuilt
    filters = {q["question"]: q.get("filters") for q in QA}
    with RAG(cfg) as rag:
        for row in report["items"]:
            alone = rag.ask(row["question"], filters=filters[row["question"]])
            assert (alone.abstained, (alone.text or "")[:500]) == (row["abstained"], row["answer"]), row["id"]
