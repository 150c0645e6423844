"""The answerability features and check (ragkit/answer/answerability.py, answer.abstain_min_answerable)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ragkit.answer.answerability import answerability, answerability_features, best_window
from ragkit.answer.evidence_gate import AbstentionThresholds, should_abstain
from ragkit.config.app import AnswerConfig
from ragkit.types import ScoredChunk
from tests.answer.helpers import make_chunk

pytestmark = pytest.mark.unit

REACTOR = make_chunk("The alpha reactor was commissioned in 2019 by the Northwind board. "
                     "It runs at 451 kelvin. Operators wear blue badges.", "alpha.md", title="Alpha reactor")
PUMP = make_chunk("The acme pump moves 30 litres per minute. Its seals are replaced in autumn.", "pump.md")


def hits(*chunks):
    return [ScoredChunk(c, 1.0 - i / 10, i + 1, {"dense": 0.8 - i / 10, "rrf": 0.5 - i / 10})
            for i, c in enumerate(chunks)]


def test_features_see_what_the_window_lacks():
    ok = answerability_features("When was the alpha reactor commissioned?", hits(REACTOR, PUMP))
    assert ok["window_missing"] == 0 and ok["window_missing_0"] == 1 and ok["type_found"] == 1
    assert ok["names_missing"] == 0 and ok["negation_extra"] == 0
    swapped = answerability_features("When was the Southwind board founded?", hits(REACTOR, PUMP))
    assert swapped["names_missing"] == 1 and swapped["window_missing"] >= 2
    negated = answerability_features("Which operators never wear blue badges?", hits(REACTOR, PUMP))
    assert negated["negation_extra"] == 1
    no_date = answerability_features("When do operators wear blue badges?", hits(make_chunk(
        "Operators wear blue badges in the alpha reactor.", "b.md"), PUMP))
    assert no_date["type_found"] == 0
    assert answerability_features("anything", []) == {}


def test_the_window_is_the_title_and_two_sentences_that_hold_most_of_the_question():
    passages = [("Alpha reactor", REACTOR.text), ("", PUMP.text)]
    assert best_window("What temperature do operators of the reactor run at?", passages) == (
        "Alpha reactor It runs at 451 kelvin. Operators wear blue badges.")
    assert best_window("How many litres per minute does the acme pump move?", passages).startswith(
        " The acme pump moves 30 litres per minute.")
    # a tie keeps the first window; no passage, no window
    assert best_window("When?", passages) == ("Alpha reactor The alpha reactor was commissioned in 2019 by the "
                                              "Northwind board. It runs at 451 kelvin.")
    assert best_window("When?", []) == ""


def test_the_model_is_a_logistic_of_the_weighted_features():
    assert answerability({"a": 1.0}, {"a": 0.0}, 0.0) == 0.5
    assert answerability({"a": 2.0}, {"a": 1.0}, -2.0) == 0.5
    assert answerability({"a": 1.0}, {"a": 3.0}, 0.0) > 0.95
    assert answerability({}, {"a": 1.0}, 0.0) is None  # a weighted feature is absent: no verdict


def test_the_check_abstains_with_its_reason_when_turned_on():
    base = AnswerConfig(abstain_min_evidence=None, abstain_min_name_overlap=None)
    assert base.abstain_min_answerable is None
    question = "Which operators never wear red badges?"
    assert should_abstain(question, hits(REACTOR, PUMP), AbstentionThresholds.from_config(base)) == (False, "")
    on = base.model_copy(update={"abstain_min_answerable": 0.28})
    abstained, reason = should_abstain(question, hits(REACTOR, PUMP), AbstentionThresholds.from_config(on))
    assert abstained and "answer.abstain_min_answerable" in reason and "do not seem to hold the answer" in reason
    answered = should_abstain("When was the alpha reactor commissioned?", hits(REACTOR, PUMP),
                              AbstentionThresholds.from_config(on))
    assert answered == (False, "")


def test_unknown_answerability_features_are_refused():
    with pytest.raises(ValidationError, match="unknown answerability feature"):
        AnswerConfig(abstain_answerability_weights={"window_mising": 1.0})
