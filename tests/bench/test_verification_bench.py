"""bench/verification.py's measurement: how cases are built and counted (not its targets).

The cases here run through the real `verify_answer` (lexical, embed=None) over hand-built chunks;
the counting itself is checked on hand-built rows."""

from __future__ import annotations

import json
import random

import pytest


import verification as vb

from ragkit.answer.context import citation_label
from ragkit.types import Chunk

PARIS = ("Paris is the capital of France. The city had 2,102,650 inhabitants in 2023. "
         "Its mayor since 2014 is Anne Hidalgo.")
OSLO = "Oslo is the capital of Norway. It lies at the head of the Oslofjord."


def chunk(text: str, source: str, page: int | None = None) -> Chunk:
    return Chunk(chunk_id=f"{source}#{page}", source=source, text=text, start=0, end=len(text), index=0,
                 content_hash="h", title=None, page=page)


def case(kind: str, claim: str, cited: Chunk, ctx: list[Chunk]) -> vb.Case:
    return vb.Case(f"t-{kind}", "test", kind, f"{claim} {citation_label(cited)}", tuple(ctx))


def row(kind: str, flagged: bool, origin: str = "squad") -> dict:
    expected = kind != "correct"
    return {"id": f"{kind}-{flagged}", "origin": origin, "kind": kind, "expected": expected, "flagged": flagged,
            "outcome": ("t" if flagged == expected else "f") + ("p" if flagged else "n"), "support": [], "reason": None,
            "answer": "x"}


@pytest.mark.integration
def test_a_correct_case_that_verifies_is_a_true_negative_and_a_caught_error_a_true_positive():
    paris, oslo = chunk(PARIS, "paris.md"), chunk(OSLO, "oslo.md")
    ctx = [paris, oslo]
    right = vb.run_case(case("correct", "Paris is the capital of France.", paris, ctx))
    assert (right["expected"], right["flagged"], right["outcome"]) == (False, False, "tn")
    number = vb.run_case(case("altered_number", "The city had 2,102,650 inhabitants in 2031.", paris, ctx))
    assert (number["expected"], number["flagged"], number["outcome"]) == (True, True, "tp")
    elsewhere = vb.run_case(case("other_document", "It lies at the head of the Oslofjord.", paris, [paris]))
    assert elsewhere["outcome"] == "tp"
    counts = vb.confusion([right, number, elsewhere])
    assert (counts["tp"], counts["tn"], counts["fp"], counts["fn"]) == (2, 1, 0, 0)


@pytest.mark.unit
def test_counting_of_false_rejections_and_misses():
    rows = [row("correct", False), row("correct", False), row("correct", True),
            row("negation", False), row("negation", True), row("altered_number", True), row("altered_number", True)]
    assert [r["outcome"] for r in rows] == ["tn", "tn", "fp", "fn", "tp", "tp", "tp"]
    c = vb.confusion(rows)
    assert (c["tp"], c["fp"], c["fn"], c["tn"], c["n"]) == (3, 1, 1, 2, 7)
    assert c["precision"] == pytest.approx(3 / 4)
    assert c["recall"] == pytest.approx(3 / 4)
    assert c["false_rejection_rate"] == pytest.approx(1 / 3)
    fig = vb.figures(rows + [row("correct", False, origin="docs")])
    assert fig["all"]["n"] == 8 and fig["docs"]["n"] == 1 and fig["squad"]["n"] == 7
    kinds = fig["squad"]["kinds"]
    assert kinds["correct"]["share_flagged"] == pytest.approx(1 / 3)
    assert kinds["negation"]["share_flagged"] == pytest.approx(1 / 2)
    assert kinds["negation"]["precision_vs_correct"] == pytest.approx(1 / 2)  # 1 tp, 1 fp among the correct
    assert kinds["altered_number"]["precision_vs_correct"] == pytest.approx(2 / 3)
    assert fig["met"] == {"precision": False, "recall": False}
    assert vb.figures([row("correct", False), row("negation", True)])["met"] == {"precision": True, "recall": True}


@pytest.mark.unit
def test_alterations_change_what_they_say_they_change():
    rng = random.Random(0)
    s = "The city had 2,102,650 inhabitants in 2023, says Anne Hidalgo."
    at, old, new = vb.alter_number(s, rng)
    assert old in ("2,102,650", "2023") and new != old and s[at:at + len(old)] == old
    assert vb.apply_edit(s, (at, old, new)) != s
    at, old, new = vb.alter_name(s, PARIS, ["Bertrand Delanoe", "Jacques Chirac", "Paris"], random.Random(1))
    assert old == "Anne Hidalgo" and new in ("Bertrand Delanoe", "Jacques Chirac")
    assert vb.apply_edit("Paris is the capital of France.", vb.negate("Paris is the capital of France.")) == \
        "Paris is not the capital of France."
    assert vb.negate("Paris is not small.") is None
    with pytest.raises(ValueError):
        vb.apply_edit(s, (0, "Oslo", "Bergen"))
    text = "J. R. R. Tolkien wrote it in the U.S. Army. Then he left. Watt's. “Resign.” Ögedei came."
    assert vb.split_sentences(text) == [
        "J. R. R. Tolkien wrote it in the U.S. Army.", "Then he left.", "Watt's.", "“Resign.”", "Ögedei came."]


def tiny_articles() -> list[dict]:
    def art(title, texts):
        return {"title": title, "paragraphs": [{"context": t, "qas": []} for t in texts]}
    return [
        art("Paris", [PARIS, "The Seine flows through Paris for 13 kilometres from east to west.",
                      "The Louvre was opened as a museum in 1793 by the revolutionary government.",
                      "Montmartre is a hill in the north of the city that is 130 metres high.",
                      "The Paris Metro has 16 lines and it was first opened to passengers in 1900."]),
        art("Oslo", [OSLO + " The city was founded around the year 1040 by Harald Hardrada of Norway.",
                     "The Oslo Opera House was opened to the public in 2008 on the waterfront.",
                     "Vigeland Park holds more than 200 sculptures made by Gustav Vigeland.",
                     "The Holmenkollen ski jump has been rebuilt 19 times since it opened in 1892.",
                     "The Nobel Peace Prize has been awarded in Oslo every year since 1901."]),
    ]


@pytest.mark.integration
def test_squad_case_generation_is_seeded_and_each_case_is_what_its_kind_says():
    arts = tiny_articles()
    specs = vb.generate_squad_specs(arts, seed=3, n_correct=3, per_error=2)
    assert specs == vb.generate_squad_specs(arts, seed=3, n_correct=3, per_error=2)
    cases = {c.id: c for c in vb.squad_cases(specs, arts)}
    paras = vb.squad_paragraphs(arts)
    for sp in specs:
        c = cases[sp["id"]]
        assert len(c.chunks) == vb.CONTEXT and c.answer.endswith(f"[Source: {sp['art']}/{sp['cite']}]")
        sentence = vb.split_sentences(paras[f"{sp['art']}/{sp['p']}"]["text"])[sp["s"]]
        claim = c.answer.rsplit(" [Source:", 1)[0]
        if sp["kind"] in ("altered_number", "altered_name", "negation"):
            assert claim != sentence and sp["cite"] == sp["p"]
        else:
            assert claim == sentence
        if sp["kind"] == "wrong_citation":
            assert sp["cite"] != sp["p"] and sp["p"] in sp["ctx"]
        if sp["kind"] == "other_document":
            assert sp["p"] not in sp["ctx"] and sp["cite"] in sp["ctx"]
    rows = vb.evaluate(list(cases.values()))
    c = vb.confusion(rows)
    assert c["tp"] + c["fn"] == sum(sp["kind"] != "correct" for sp in specs)
    assert c["tn"] + c["fp"] == sum(sp["kind"] == "correct" for sp in specs)


@pytest.mark.integration
def test_docs_cases_find_their_chunks_and_leave_the_own_chunk_out_of_other_document():
    paris, oslo = chunk(PARIS, "guides/paris.md"), chunk(OSLO, "reference/oslo.pdf", page=2)
    other = chunk("Bergen is a city on the west coast of Norway.", "guides/bergen.md")
    stored = [paris, oslo, other]
    hand = [
        {"id": "c", "kind": "correct", "source": "guides/paris.md", "text": "Paris is the capital\n of France."},
        {"id": "w", "kind": "wrong_citation", "source": "guides/paris.md", "text": "Paris is the capital of France.",
         "cite": "reference/oslo.pdf"},
        {"id": "o", "kind": "other_document", "source": "reference/oslo.pdf", "text": "Oslo is the capital of Norway.",
         "cite": "guides/bergen.md"},
        {"id": "gone", "kind": "correct", "source": "guides/paris.md", "text": "Paris has no river."},
    ]
    cases, stale = vb.docs_cases(hand, stored, lambda q: [oslo, paris, other])
    assert stale == ["gone"]
    by = {c.id: c for c in cases}
    assert by["c"].answer == "Paris is the capital\n of France. [Source: guides/paris.md]"
    assert by["w"].answer.endswith("[Source: reference/oslo.pdf, page 2]") and paris in by["w"].chunks
    assert oslo not in by["o"].chunks and other in by["o"].chunks
    rows = {r["id"]: r for r in vb.evaluate(cases)}
    assert rows["c"]["outcome"] == "tn"
    assert rows["w"]["outcome"] == "tp" and rows["o"]["outcome"] == "tp"


@pytest.mark.unit
def test_the_case_lists_in_the_repo():
    hand = json.loads(vb.DOCS_CASES.read_text(encoding="utf-8"))["cases"]
    assert len(hand) >= 30 and {c["kind"] for c in hand} == set(vb.KINDS)
    assert len({c["id"] for c in hand}) == len(hand)
    assert all(c["kind"] == "correct" or c.get("claim", c["text"]) != c["text"] or "cite" in c or "cite_page" in c
               for c in hand)
    specs = vb.load_squad_specs()
    assert len(specs) >= 300 and {s["kind"] for s in specs} == set(vb.KINDS)
    assert len({s["id"] for s in specs}) == len(specs)


@pytest.mark.integration
def test_the_repo_squad_cases_rebuild_from_the_dev_set():
    if not vb.squad_path().is_file():
        pytest.skip(f"SQuAD 2.0 dev not at {vb.squad_path()}")
    articles = json.loads(vb.squad_path().read_text(encoding="utf-8"))["data"]
    specs = vb.load_squad_specs()
    subset = [s for k in vb.KINDS for s in [x for x in specs if x["kind"] == k][:2]]
    rows = vb.evaluate(vb.squad_cases(subset, articles))
    assert [r["kind"] for r in rows] == [s["kind"] for s in subset]
    for r in rows:
        assert r["expected"] == (r["kind"] != "correct")
        assert r["outcome"] == ("t" if r["flagged"] == r["expected"] else "f") + ("p" if r["flagged"] else "n")
