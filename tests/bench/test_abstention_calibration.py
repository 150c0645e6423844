"""Calibrating the pre-call abstention thresholds: hand-built features -> expected thresholds,
and the invariants of the search (bound held, deterministic, order-free, same decisions as
`should_abstain`)."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


from ragkit.answer.evidence_gate import (
    AbstentionThresholds,
    evidence_features,
    evidence_score,
    needs_branch_scores,
    should_abstain,
)
from abstention_calibration import CONFIG_FIELDS, abstains, calibrate, max_threshold, rates, round_down  # noqa: E402
from ragkit.config.app import EVIDENCE_FEATURES, AnswerConfig
from tests.answer.helpers import make_chunk, scored

pytestmark = pytest.mark.unit

# 20 answerable questions: window_overlap 0.02, 0.07, 0.12, ..., 0.97
ANSWER = [{"window_overlap": round(0.02 + 0.05 * i, 2)} for i in range(20)]
ABSTAIN = [{"window_overlap": v} for v in (0.0, 0.05, 0.11, 0.115, 0.2, 0.5)]
LABELS = [False] * len(ANSWER) + [True] * len(ABSTAIN)


def test_single_feature_threshold_is_the_largest_within_budget():
    # budget 10% of 20 = 2 answerable questions: the minimum is the third smallest value, 0.12
    cal = calibrate(ANSWER + ABSTAIN, LABELS, target=0.10, margin=0.0, keys=["window_overlap"])
    assert cal.thresholds == {"window_overlap": 0.12}
    assert cal.wrong_abstain_rate == pytest.approx(2 / 20)
    assert cal.correct_abstain_rate == pytest.approx(4 / 6)  # 0.0, 0.05, 0.11, 0.115
    assert (cal.n_answer, cal.n_abstain) == (20, 6)


def test_margin_tightens_the_budget():
    # target 10% - margin 5% = 1 answerable question may be abstained on: minimum 0.07
    cal = calibrate(ANSWER + ABSTAIN, LABELS, target=0.10, margin=0.05, keys=["window_overlap"])
    assert cal.thresholds == {"window_overlap": 0.07}
    assert cal.wrong_abstain_rate == pytest.approx(1 / 20)
    assert cal.correct_abstain_rate == pytest.approx(2 / 6)


def test_thresholds_are_rounded_down():
    answer = [{"dense_top": v} for v in (0.12345, 0.5, 0.6, 0.7)]
    abstain = [{"dense_top": v} for v in (0.1, 0.1234, 0.12346)]
    cal = calibrate(answer + abstain, [False] * 4 + [True] * 3, target=0.25, margin=0.0, keys=["dense_top"])
    # budget 1: the exact minimum would be 0.5; rounded down to 3 places it stays 0.5
    assert cal.thresholds == {"dense_top": 0.5}
    assert max_threshold(np.array([0.12345, 0.5]), 0, 3) == 0.123
    assert round_down(0.9999, 3) == 0.999 and round_down(0.5, 3) == 0.5


@given(st.floats(0, 1e6, allow_nan=False), st.integers(0, 6))
def test_round_down_never_exceeds_the_value(value, decimals):
    out = round_down(value, decimals)
    assert out <= value
    assert value - out < 10.0 ** -decimals * (1 + 1e-9) + 1e-9 * value
    # found by hypothesis: the float-error guard used to round 0.9999999999999999 up to 1.0
    assert round_down(0.9999999999999999, 2) == 0.99 and round_down(0.29, 2) == 0.29


# two features, each catching a different half of the should-abstain questions
PAIR_ANSWER = [{"overlap_top3": 1.0, "name_overlap": 1.0}] * 10
PAIR_ABSTAIN = [{"overlap_top3": 0.2, "name_overlap": 1.0}, {"overlap_top3": 0.3, "name_overlap": 1.0},
                {"overlap_top3": 1.0, "name_overlap": 0.0}, {"overlap_top3": 1.0, "name_overlap": 0.5}]
PAIR_LABELS = [False] * 10 + [True] * 4


def test_a_conjunction_is_chosen_when_it_catches_more():
    cal = calibrate(PAIR_ANSWER + PAIR_ABSTAIN, PAIR_LABELS, target=0.1, margin=0.0,
                    keys=["overlap_top3", "name_overlap"], max_features=2)
    assert cal.thresholds == {"name_overlap": 1.0, "overlap_top3": 1.0}
    assert (cal.wrong_abstain_rate, cal.correct_abstain_rate) == (0.0, 1.0)
    assert cal.considered["overlap_top3+name_overlap"] == 1.0
    assert cal.config_values() == {"abstain_min_rerank": None, "abstain_min_fused": None, "abstain_min_dense": None,
                                   "abstain_min_overlap": 1.0, "abstain_min_window_overlap": None,
                                   "abstain_min_name_overlap": 1.0, "abstain_min_evidence": None,
                                   "abstain_evidence_weights": {}}


def test_single_check_when_limited_to_one_and_ties_break_by_key_order():
    cal = calibrate(PAIR_ANSWER + PAIR_ABSTAIN, PAIR_LABELS, target=0.1, margin=0.0,
                    keys=["overlap_top3", "name_overlap"], max_features=1)
    assert cal.thresholds == {"name_overlap": 1.0}  # both catch 2 of 4; "name_overlap" < "overlap_top3"
    assert cal.correct_abstain_rate == 0.5


def test_a_second_check_must_gain_more_than_min_gain():
    abstain = PAIR_ABSTAIN[:2] + [{"overlap_top3": 0.1, "name_overlap": 1.0}] * 30 + [PAIR_ABSTAIN[2]]
    labels = [False] * 10 + [True] * len(abstain)
    kw = dict(target=0.1, margin=0.0, keys=["overlap_top3", "name_overlap"], max_features=2)
    strict = calibrate(PAIR_ANSWER + abstain, labels, min_gain=0.0, **kw)
    lenient = calibrate(PAIR_ANSWER + abstain, labels, min_gain=0.05, **kw)  # the pair adds 1/33 = 0.03
    assert len(strict.thresholds) == 2 and strict.correct_abstain_rate == 1.0
    assert lenient.thresholds == {"overlap_top3": 1.0}
    assert lenient.correct_abstain_rate == pytest.approx(32 / 33)


def test_missing_features_skip_the_check_and_empty_lists_always_abstain():
    feats = [{"dense_top": 0.9}, {}, {"n_candidates": 0.0}, {"dense_top": 0.1}]
    assert abstains(feats, {"dense_top": 0.5}).tolist() == [False, False, True, True]
    assert abstains(feats, {}).tolist() == [False, False, True, False]
    assert rates(feats, [False, False, True, True], {"dense_top": 0.5}) == (0.0, 1.0)


def test_empty_candidate_lists_use_up_the_budget():
    answer = [{"n_candidates": 0.0}] + [{"dense_top": 0.5 + 0.01 * i} for i in range(9)]
    abstain = [{"dense_top": 0.5}, {"dense_top": 0.1}]
    cal = calibrate(answer + abstain, [False] * 10 + [True] * 2, target=0.2, margin=0.0, keys=["dense_top"])
    # budget 2, one already spent on the empty list: the minimum is the second answerable value
    assert cal.thresholds == {"dense_top": 0.51}
    assert cal.wrong_abstain_rate == pytest.approx(0.2) and cal.correct_abstain_rate == 1.0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="both kinds"):
        calibrate(ANSWER, [False] * len(ANSWER))
    with pytest.raises(ValueError, match="labels"):
        calibrate(ANSWER, [False])
    with pytest.raises(ValueError, match="margin"):
        calibrate(ANSWER + ABSTAIN, LABELS, target=0.05, margin=0.1)


def test_calibrated_config_makes_the_same_decisions_as_should_abstain():
    q = "How tall is the Eiffel Tower in Paris?"
    good = make_chunk("The Eiffel Tower in Paris is 330 metres tall.", "eiffel.pdf", chunk_id="g",
                      title="Eiffel Tower")
    weak = make_chunk("Coffee is grown in Brazil. Robusta is bitter.", "coffee.txt", chunk_id="w")
    lists = [scored([good, weak], rerank=[3.0, -5.0], rrf=[0.033, 0.032], dense=[0.8, 0.1]),
             scored([weak, good], rerank=[-4.0, -6.0], rrf=[0.02, 0.016], dense=[0.2, 0.1]),
             scored([weak], rerank=[1.0], rrf=[0.03], dense=[0.5])]
    feats = [evidence_features(q, c) for c in lists]
    assert all("fused_top" in f for f in feats)  # the stores' "rrf" label counts as the fused score
    th = {"rerank_top": 0.0, "fused_top": 0.025, "dense_top": 0.3, "overlap_top3": 0.5, "window_overlap": 0.5,
          "name_overlap": 0.5}
    for keys in ([k] for k in th):
        sub = {k: th[k] for k in keys}
        off = {f: None for f in CONFIG_FIELDS.values()} | {"abstain_min_evidence": None}
        cfg = AnswerConfig(**off | {CONFIG_FIELDS[k]: v for k, v in sub.items()})
        expected = [should_abstain(q, c, AbstentionThresholds.from_config(cfg))[0] for c in lists]
        assert abstains(feats, sub).tolist() == expected, keys
    assert set(CONFIG_FIELDS.values()) <= set(AnswerConfig.model_fields)


# neither feature separates the two groups alone, their sum does (values exact in binary)
SUM_ANSWER = [{"dense_top": d, "window_overlap": w}
              for d, w in ((0.25, 0.875), (0.375, 0.875), (0.5, 0.75), (0.75, 0.5), (0.875, 0.5))]
SUM_ABSTAIN = [{"dense_top": d, "window_overlap": w}
               for d, w in ((0.25, 0.5), (0.5, 0.25), (0.375, 0.625), (0.625, 0.25))]
SUM_LABELS = [False] * 5 + [True] * 4


def test_a_weighted_score_is_chosen_when_it_separates_better():
    cal = calibrate(SUM_ANSWER + SUM_ABSTAIN, SUM_LABELS, target=0.0, margin=0.0,
                    keys=["dense_top", "window_overlap"], score_keys=["window_overlap"], weight_grid=(0.0, 0.5, 1.0))
    # minimums catch 2 of 4 at best (window_overlap >= 0.5); dense + window >= 1.125 catches all 4
    assert cal.considered["dense_top+window_overlap"] == 0.5
    assert (cal.weights, cal.min_evidence, cal.thresholds) == ({"dense_top": 1.0, "window_overlap": 1.0}, 1.125, {})
    assert (cal.wrong_abstain_rate, cal.correct_abstain_rate) == (0.0, 1.0)
    cfg = AnswerConfig(**cal.config_values())
    th = AbstentionThresholds.from_config(cfg)
    assert needs_branch_scores(th) and th.evidence_weights == (("dense_top", 1.0), ("window_overlap", 1.0))
    dummy = scored([make_chunk("Some text here.", "a.txt")])
    decisions = [should_abstain("q?", dummy, th, features=f)[0] for f in SUM_ANSWER + SUM_ABSTAIN]
    assert decisions == cal.decide(SUM_ANSWER + SUM_ABSTAIN).tolist() == SUM_LABELS
    reason = should_abstain("q?", dummy, th, features=SUM_ABSTAIN[0])[1]
    assert "1*dense_top + 1*window_overlap" in reason and "answer.abstain_min_evidence" in reason
    only_min = calibrate(SUM_ANSWER + SUM_ABSTAIN, SUM_LABELS, target=0.0, margin=0.0,
                         keys=["dense_top", "window_overlap"], families=["minimums"])
    assert only_min.thresholds == {"window_overlap": 0.5} and only_min.weights == {}


def test_evidence_score_and_which_checks_need_branch_scores():
    weights = [("dense_top", 1.0), ("window_overlap", 0.5)]
    assert evidence_score({"dense_top": 0.5, "window_overlap": 0.5}, weights) == 0.75
    assert evidence_score({"window_overlap": 0.5}, [("dense_top", 1.0), ("window_overlap", 0.5)]) is None
    assert evidence_score({"window_overlap": 0.5}, [("dense_top", 0.0), ("window_overlap", 2.0)]) == 1.0
    assert needs_branch_scores(AbstentionThresholds(min_dense=0.3))
    assert not needs_branch_scores(AbstentionThresholds(min_window_overlap=0.5))
    assert not needs_branch_scores(AbstentionThresholds(evidence_weights=(("dense_top", 1.0),)))  # no minimum
    assert needs_branch_scores(AbstentionThresholds(min_evidence=0.1, evidence_weights=(("sparse_top", 1.0),)))
    # a weighted feature that does not exist is refused by the config, not silently skipped
    with pytest.raises(ValueError, match="unknown evidence feature"):
        AnswerConfig(abstain_evidence_weights={"dense": 1.0})


def test_every_evidence_feature_can_be_weighted():
    q = "How tall is the Eiffel Tower in Paris?"
    chunks = scored([make_chunk("The Eiffel Tower in Paris is 330 metres tall. It opened in 1889.", "e.pdf"),
                     make_chunk("Coffee grows in Brazil.", "c.txt")],
                    rerank=[2.0, -1.0], rrf=[0.03, 0.02], dense=[0.7, 0.1], sparse=[9.0, 1.0])
    from ragkit.config.abstention import ANSWERABILITY_FEATURES

    keys = set(evidence_features(q, chunks)) - {"n_candidates", "question_terms"}
    assert keys == set(EVIDENCE_FEATURES) | set(ANSWERABILITY_FEATURES) - {"question_terms"}


def _feature_rows():
    row = st.fixed_dictionaries({}, optional={
        "dense_top": st.floats(0, 1), "overlap_top3": st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
        "name_overlap": st.sampled_from([0.0, 0.5, 1.0]),
    })
    return st.lists(st.tuples(row, st.booleans()), min_size=2, max_size=40).filter(
        lambda rows: any(lab for _, lab in rows) and not all(lab for _, lab in rows))


@settings(max_examples=60, deadline=None)
@given(_feature_rows(), st.sampled_from([0.05, 0.1, 0.3]), st.sampled_from([0.0, 0.02]), st.randoms())
def test_bound_holds_and_result_is_order_free(rows, target, margin, rnd):
    feats = [f for f, _ in rows]
    labels = [lab for _, lab in rows]
    cal = calibrate(feats, labels, target=target, margin=margin, max_features=2, weight_grid=(0.0, 0.5, 1.0))
    assert cal.wrong_abstain_rate <= target - margin + 1e-12
    assert (cal.wrong_abstain_rate, cal.correct_abstain_rate) == rates(
        feats, labels, cal.thresholds, cal.weights, cal.min_evidence)
    lab = np.array(labels)
    assert (cal.decide(feats)[~lab].mean(), cal.decide(feats)[lab].mean()) == (
        cal.wrong_abstain_rate, cal.correct_abstain_rate)
    # no single threshold found by brute force does better than the chosen set (one that would
    # abstain on every answerable question having the feature is never a candidate)
    for key in ("dense_top", "overlap_top3", "name_overlap"):
        top_answer = max((f[key] for f, lab in rows if not lab and key in f), default=None)
        for t in {f[key] for f in feats if key in f}:
            w, c = rates(feats, labels, {key: round_down(t, 3)})
            if w <= target - margin and top_answer is not None and top_answer >= round_down(t, 3):
                assert c <= cal.correct_abstain_rate + 0.005 + 1e-12
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    again = calibrate([f for f, _ in shuffled], [lab for _, lab in shuffled], target=target, margin=margin,
                      max_features=2, weight_grid=(0.0, 0.5, 1.0))
    assert (again.thresholds, again.weights, again.min_evidence) == (cal.thresholds, cal.weights, cal.min_evidence)


def test_the_gate_checks_and_the_config_fields_are_one_declaration():
    from ragkit.config.abstention import ANSWERABILITY_CHECK_KEY, EVIDENCE_FEATURES, MINIMUM_CHECKS, WEIGHTED_CHECK_KEY

    fields = set(AnswerConfig.model_fields)
    assert {c.config_key for c in MINIMUM_CHECKS} | {WEIGHTED_CHECK_KEY, ANSWERABILITY_CHECK_KEY} <= fields
    assert {f for f in fields if f.startswith("abstain_min_")} == {c.config_key for c in MINIMUM_CHECKS} | {
        WEIGHTED_CHECK_KEY, ANSWERABILITY_CHECK_KEY}
    assert {c.feature for c in MINIMUM_CHECKS} <= set(EVIDENCE_FEATURES)
    th = AbstentionThresholds.from_config(AnswerConfig(abstain_min_rerank=0.3, abstain_min_evidence=None))
    assert th.min_rerank == 0.3 and th.uses("rerank_top")
