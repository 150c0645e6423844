"""Suite files, query sets and the SQuAD 2.0 protocol builder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.errors import SuiteError
from ragkit.evals.items import load_beir, load_qa, mark_asked, sample
from ragkit.evals.squad import corpus_lines, question_half, split_articles, squad_items, write_corpus
from ragkit.evals.suite import load_suite, parse_suite

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]

MINIMAL = {"name": "t", "corpus": {"paths": ["docs"]}, "queries": {"qa": "qa.jsonl"}}


def test_minimal_suite_defaults():
    s = parse_suite(MINIMAL)
    assert s.corpus.kind == "paths" and s.queries.kind == "qa"
    assert s.enabled_checks() == ["chunking", "metadata", "retrieval", "rerank", "hallucination", "citations",
                                  "idk", "latency", "cost"]
    assert s.sample.seed == 0 and s.latency_target_s == 3.0 and s.retrieval.chunks == 150


@pytest.mark.parametrize("patch, needle", [
    ({"corpus": {"paths": ["d"], "beir": "c.jsonl"}}, "exactly one of paths, beir, squad2"),
    ({"queries": {}}, "exactly one of qa, beir, squad2"),
    ({"colour": "blue"}, "colour: unknown key"),
    ({"name": "Bad Name"}, "lowercase"),
    ({"thresholds": {"retrieval.ndgc@10": 0.5}}, "retrieval.ndgc@10: unknown metric"),
    ({"thresholds": {"retrieval.ndcg@10": "high"}}, "a number"),
    ({"thresholds": {"retrieval.ndcg@10": {"min": 1, "max": 2}}}, "a number, {min: x} or {max: x}"),
    ({"checks": ["retrieval", "vibes"]}, "unknown check 'vibes'"),
    ({"queries": {"squad2": {}}}, "go together"),
])
def test_bad_suites_name_the_problem(patch, needle):
    with pytest.raises(SuiteError) as exc:
        parse_suite({**MINIMAL, **patch}, path="s.yaml")
    assert needle in str(exc.value) and "s.yaml" in str(exc.value)


def test_threshold_direction_follows_the_metric():
    s = parse_suite({**MINIMAL, "thresholds": {"retrieval.ndcg@10": 0.6, "latency.total_p95_s": 2.5,
                                               "cost.mean_usd": {"max": 0.01}}})
    t = s.thresholds
    assert (t["retrieval.ndcg@10"].op, t["retrieval.ndcg@10"].value) == (">=", 0.6)
    assert (t["latency.total_p95_s"].op, t["latency.total_p95_s"].value) == ("<=", 2.5)
    assert t["retrieval.ndcg@10"].passes(0.6) and not t["retrieval.ndcg@10"].passes(0.59)
    assert t["latency.total_p95_s"].passes(2.5) and not t["latency.total_p95_s"].passes(2.51)


def test_paths_relative_to_the_suite_and_shared_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGKIT_SHARED_DIR", str(tmp_path / "sh"))
    f = tmp_path / "evals" / "s.yaml"
    f.parent.mkdir()
    f.write_text("name: s\ncorpus: {beir: '${shared}/data/c.jsonl'}\nqueries: {qa: data/q.jsonl}\n"
                 "config: {rerank: {model: '${shared}/models/ce'}}\n")
    s = load_suite(f)
    assert s.resolve(s.corpus.beir, "corpus.beir") == (tmp_path / "sh" / "data" / "c.jsonl").resolve()
    assert s.resolve(s.queries.qa, "queries.qa") == (tmp_path / "evals" / "data" / "q.jsonl").resolve()
    assert s.expand(s.config)["rerank"]["model"] == str((tmp_path / "sh").resolve()) + "/models/ce"
    assert s.sha256 and len(s.sha256) == 64
    with pytest.raises(SuiteError, match="only \\$\\{shared\\}"):
        s.resolve("${home}/x", "corpus.beir")


def test_broken_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SuiteError, match="not valid YAML"):
        load_suite(bad)
    with pytest.raises(SuiteError, match="not found"):
        load_suite(tmp_path / "nope.yaml")


def test_shipped_suites_parse():
    for name in ("sample_docs", "scifact", "squad2"):
        s = load_suite(REPO / "evals" / f"{name}.yaml", allow_paths=[REPO / "docs"])
        assert s.name and s.path


# ---- query sets ------------------------------------------------------------------------------------
def test_load_qa_and_its_errors(tmp_path):
    p = tmp_path / "qa.jsonl"
    p.write_text(json.dumps({"question": "What?", "answers": ["x"], "sources": ["a.md"], "tags": ["filter"],
                             "filters": {"source": "a.md"}}) + "\n\n"
                 + json.dumps({"question": "Who?", "answerable": False, "tags": ["out_of_corpus"]}) + "\n")
    items = load_qa(p)
    assert [i.id for i in items] == ["q1", "q3"]
    assert items[0].gold == {"a.md": 1} and items[0].group == "filter" and items[0].filters == {"source": "a.md"}
    assert not items[1].answerable and items[1].group == "out_of_corpus"
    p.write_text(json.dumps({"question": "Who?", "answerable": False, "answers": ["x"]}) + "\n")
    with pytest.raises(SuiteError, match="qa.jsonl:1"):
        load_qa(p)
    p.write_text(json.dumps({"question": "Who?", "colour": 1}) + "\n")
    with pytest.raises(SuiteError, match="colour"):
        load_qa(p)


def test_shipped_sample_qa_set_is_well_formed():
    items = load_qa(REPO / "evals" / "data" / "sample_docs_qa.jsonl")
    tags = {t for it in items for t in it.tags}
    assert {"adversarial", "out_of_corpus", "injection", "filter"} <= tags
    assert all(it.forbidden for it in items if "injection" in it.tags)
    docs = REPO / "docs"
    for it in items:
        for src in it.gold:
            assert (docs / src).is_file() or (REPO / "evals" / "data" / "injected" / src).is_file(), src


def test_load_beir_keeps_judged_queries(tmp_path):
    (tmp_path / "q.jsonl").write_text('{"_id": "1", "text": "a"}\n{"_id": "2", "text": "b"}\n{"_id": "3", "text": "c"}\n')
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n2\td2\t0\n")
    items = load_beir(tmp_path / "q.jsonl", tmp_path / "qrels.tsv")
    assert [i.id for i in items] == ["1"] and items[0].gold == {"d1": 1} and not items[0].ask


def test_sampling_is_seeded_and_ordered():
    from ragkit.evals.items import EvalItem

    items = [EvalItem(str(i), "q") for i in range(50)]
    a, b = sample(items, 10, 3), sample(items, 10, 3)
    assert a == b and len(a) == 10 and [int(i.id) for i in a] == sorted(int(i.id) for i in a)
    assert sample(items, 10, 4) != a and sample(items, None, 3) == items
    asked = mark_asked(items, 5, 0)
    assert sum(i.ask for i in asked) == 5 and mark_asked(items, 5, 0) == asked


# ---- SQuAD 2.0 ---------------------------------------------------------------------------------------
def _squad():
    def art(title, n_paras, impossible_every=3):
        paras = []
        for p in range(n_paras):
            qas = [{"id": f"{title}-{p}-{k}", "question": f"q {title} {p} {k}", "is_impossible": k % impossible_every == 2,
                    "answers": [] if k % impossible_every == 2 else [{"text": "gold", "answer_start": 0}] * 2}
                   for k in range(3)]
            paras.append({"context": f"Paragraph {p} of {title}.", "qas": qas})
        return {"title": title, "paragraphs": paras}

    return [art("Alpha_One", 2), art("Beta", 1), art("Gamma", 2)]


def test_squad_split_groups_and_corpus(tmp_path):
    arts = _squad()
    ingested, other = split_articles(arts, "even")
    assert [a["title"] for a in ingested] == ["Alpha_One", "Gamma"] and [a["title"] for a in other] == ["Beta"]
    lines = [json.loads(x) for x in corpus_lines(ingested)]
    assert [x["_id"] for x in lines] == ["Alpha_One/0", "Alpha_One/1", "Gamma/0", "Gamma/1"]
    assert lines[0]["title"] == "Alpha One"
    items = squad_items(arts, "even")
    groups = {g: [i for i in items if i.group == g] for g in ("answerable", "out_of_corpus", "in_corpus_unanswerable")}
    assert len(groups["answerable"]) == 8 and len(groups["in_corpus_unanswerable"]) == 4
    assert len(groups["out_of_corpus"]) == 3 and all(not i.answerable for i in groups["out_of_corpus"])
    a0 = groups["answerable"][0]
    assert a0.gold == {"Alpha_One/0": 1} and a0.answers == ("gold",)
    small = squad_items(arts, "even", {"answerable": 2, "out_of_corpus": 1, "in_corpus_unanswerable": 1}, seed=1)
    assert len(small) == 4 and small == squad_items(arts, "even", {"answerable": 2, "out_of_corpus": 1,
                                                                  "in_corpus_unanswerable": 1}, seed=1)
    halves = {h: squad_items(arts, "even", half=h) for h in ("calib", "eval")}
    assert all(question_half(i.id) == h for h, its in halves.items() for i in its)
    assert sorted(i.id for its in halves.values() for i in its) == sorted(i.id for i in items)
    path = write_corpus(arts, tmp_path / "c.jsonl")
    mtime = path.stat().st_mtime_ns
    assert write_corpus(arts, tmp_path / "c.jsonl").stat().st_mtime_ns == mtime  # unchanged: not rewritten
    assert path.read_text().count("\n") == 4
