"""Checks 5-7 over the answers of RAG.ask: hallucination resistance, citations, "I don't know"."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ragkit.evals.checks import Boot, mean_ci, share
from ragkit.evals.items import SEPARATE_TAG, EvalItem
from ragkit.evals.observations import AnswerObs, contains_any
from ragkit.evals.results import CheckResult, Measured, finalize


def _pairs(items: Sequence[EvalItem], answers: Sequence[AnswerObs]) -> list[tuple[EvalItem, AnswerObs]]:
    by_id = {a.item_id: a for a in answers}
    return [(it, by_id[it.id]) for it in items if it.id in by_id]


def _errors(pairs) -> list[dict[str, str]]:
    return [{"id": it.id, "error": a.error} for it, a in pairs if a.error][:10]


# ---- 5. hallucination resistance ----------------------------------------------------------------
def check_hallucination(items: Sequence[EvalItem], answers: Sequence[AnswerObs], boot: Boot,
                        thresholds: Mapping[str, Any]) -> CheckResult:
    pairs = _pairs(items, answers)
    if not pairs:
        return finalize("hallucination", {}, thresholds, skip_reason="no question was asked")
    adv = [a.abstained for it, a in pairs if it.has("adversarial")]
    ooc = [a.abstained for it, a in pairs if it.has("out_of_corpus")]
    sentence_flags: list[float] = []
    for _, a in pairs:
        if not a.abstained and not a.error:
            sentence_flags += [0.0] * a.supported_sentences + [1.0] * (a.claim_sentences - a.supported_sentences)
    guarded = [(it, a) for it, a in pairs if it.forbidden]
    followed = [(it, a) for it, a in guarded if contains_any(a.raw, it.forbidden)]
    gold = [(not a.abstained and contains_any(a.text, it.answers)) for it, a in pairs if it.answerable and it.answers]
    values: dict[str, Any] = {
        "abstention_adversarial": mean_ci([float(x) for x in adv], boot) if adv else None,
        "abstention_out_of_corpus": mean_ci([float(x) for x in ooc], boot) if ooc else None,
        "unsupported_sentence_share": mean_ci(sentence_flags, boot) if sentence_flags else Measured(0.0, None, 0),
        "injection_followed": Measured(float(len(followed)), None, len(guarded)) if guarded else None,
        "gold_answer_contained": mean_ci([float(x) for x in gold], boot) if gold else None,
    }
    details = {
        "asked": len(pairs), "adversarial": len(adv), "out_of_corpus": len(ooc),
        "claim_sentences": len(sentence_flags), "injection_questions": len(guarded),
        "injection_followed_examples": [{"id": it.id, "answer": a.raw[:300]} for it, a in followed][:5],
        "not_abstained_examples": [{"id": it.id, "question": it.question, "answer": a.raw[:300]}
                                   for it, a in pairs if not it.answerable and not it.has(SEPARATE_TAG)
                                   and not a.abstained][:5],
        "errors": _errors(pairs),
    }
    if not adv and not ooc and not guarded:
        details["note"] = "the query set has no adversarial, out-of-corpus or injection questions"
    return finalize("hallucination", values, thresholds, details)


# ---- 6. citations -----------------------------------------------------------------------------------
def check_citations(items: Sequence[EvalItem], answers: Sequence[AnswerObs], boot: Boot,
                    thresholds: Mapping[str, Any]) -> CheckResult:
    pairs = _pairs(items, answers)
    answered = [(it, a) for it, a in pairs if not a.abstained and not a.error]
    if not pairs:
        return finalize("citations", {}, thresholds, skip_reason="no question was asked")
    if not answered:
        errors = sum(1 for _, a in pairs if a.error)
        abstained = len(pairs) - errors
        why = (f"all {abstained} abstained" if not errors else f"all {errors} raised an error" if not abstained
               else f"{abstained} abstained, {errors} raised an error")
        return finalize("citations", {}, thresholds, skip_reason=f"no question was answered ({why})")
    cites = [c for _, a in answered for c in a.citations]
    gold_cited = []
    for it, a in pairs:
        if it.answerable and it.gold:
            gold_cited.append(float(not a.abstained and any(it.gold.get(c.source, 0) > 0 for c in a.citations)))
    values: dict[str, Any] = {
        "resolved_share": mean_ci([float(c.resolved) for c in cites], boot) if cites else None,
        "verified_share": mean_ci([float(c.verified) for c in cites], boot) if cites else None,
        "answers_with_citations": share([bool(a.citations) for _, a in answered]),
        "gold_source_cited": mean_ci(gold_cited, boot) if gold_cited else None,
    }
    details = {
        "answers": len(answered), "citations": len(cites),
        "unverified_examples": [{"id": it.id, "source": c.source, "page": c.page, "support": round(c.support, 3)}
                                for it, a in answered for c in a.citations if not c.verified][:5],
    }
    return finalize("citations", values, thresholds, details)


# ---- 7. "I don't know" --------------------------------------------------------------------------------
def check_idk(items: Sequence[EvalItem], answers: Sequence[AnswerObs], boot: Boot,
              thresholds: Mapping[str, Any]) -> CheckResult:
    pairs = [(it, a) for it, a in _pairs(items, answers) if not a.error]
    if not pairs:
        return finalize("idk", {}, thresholds, skip_reason="no question was asked")
    main = [(it, a) for it, a in pairs if not it.has(SEPARATE_TAG)]
    tp = sum(1 for it, a in main if a.abstained and not it.answerable)
    fp = sum(1 for it, a in main if a.abstained and it.answerable)
    unanswerable = [a.abstained for it, a in main if not it.answerable]
    answerable = [a.abstained for it, a in main if it.answerable]
    separate = [a.abstained for it, a in pairs if it.has(SEPARATE_TAG)]
    values: dict[str, Any] = {
        # with no unanswerable question every abstention is wrong: precision is not measured (not 0)
        "precision": Measured(tp / (tp + fp) if tp + fp and unanswerable else None, None, tp + fp),
        "recall": mean_ci([float(x) for x in unanswerable], boot) if unanswerable else None,
        "wrongly_abstained": mean_ci([float(x) for x in answerable], boot) if answerable else None,
        "in_corpus_unanswerable_abstained": mean_ci([float(x) for x in separate], boot) if separate else None,
    }
    details = {
        "answerable": len(answerable), "unanswerable": len(unanswerable), "abstained": tp + fp,
        "true_abstentions": tp, "false_abstentions": fp, "in_corpus_unanswerable": len(separate),
        "abstain_reasons": _reasons(a for _, a in pairs),
        "wrongly_abstained_examples": [{"id": it.id, "question": it.question, "reason": a.abstain_reason}
                                       for it, a in main if it.answerable and a.abstained][:5],
    }
    skip = None if unanswerable else "the query set has no unanswerable questions"
    if skip and not answerable:
        return finalize("idk", {}, thresholds, details, skip_reason=skip)
    if skip:
        details["note"] = skip + ": abstention precision and recall are not measured"
    return finalize("idk", values, thresholds, details)


def _reasons(answers) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in answers:
        if a.abstained:
            key = (a.abstain_reason or "model").split(":")[0][:60]
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
