"""`rerank.enabled`: `auto` (the default) reranks only when the weights are present and, when they
are not, says so once, in one short line that names the config key; `true` without weights says
so explicitly on every search (an error with `rerank.required`); `false` never reranks."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from ragkit.config import RagkitConfig, load_config
from ragkit.config.data import RerankConfig
from ragkit.errors import ConfigError, ModelLoadError

from tests.retrieve.small_index import MISSING_HUB_ID, QUERY


def _one_line(note: str | None) -> str:
    assert note and "\n" not in note, note
    return note


# ---- the config key ------------------------------------------------------------------------------------
@pytest.mark.unit
def test_enabled_defaults_to_auto_and_takes_booleans():
    assert RerankConfig().enabled == "auto"
    assert RagkitConfig().rerank.enabled == "auto"
    for value, want in (("auto", "auto"), (True, True), (False, False), ("true", True), ("false", False)):
        assert RerankConfig(enabled=value).enabled == want
    with pytest.raises(ConfigError, match=r"rerank\.enabled"):
        load_config(overrides={"rerank": {"enabled": "sometimes"}}, env={})


# ---- auto ---------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_auto_with_weights_present_reranks_without_a_note(rag_with, scifact_ce):
    rag = rag_with(model=str(scifact_ce))
    assert rag.cfg.rerank.enabled == "auto"
    res = rag.search(QUERY, top_k=10)
    assert res.reranked and res.rerank_note is None
    assert all("rerank" in h.scores for h in res.results)


@pytest.mark.integration
def test_auto_without_weights_says_one_short_line_once(rag_with, caplog):
    rag = rag_with({"cache": {"enabled": False}}, model=MISSING_HUB_ID)
    with caplog.at_level(logging.INFO, logger="ragkit"):
        first = rag.search(QUERY)
        later = [rag.search(QUERY, top_k=10), *rag.retriever.search_batch([QUERY, "blood pressure"])]
        answer = rag.ask(QUERY)
    note = _one_line(first.rerank_note)
    assert len(note) <= 200, (len(note), note)
    for words in ("no reranker weights", repr(MISSING_HUB_ID), "rerank.model", "rerank.enabled: auto"):
        assert words in note
    assert not first.reranked and all(not r.reranked and r.rerank_note is None for r in later)
    assert not any("reranker" in n for n in answer.notes), answer.notes  # said once: not again
    assert [r.getMessage() for r in caplog.records if "rerank" in r.getMessage()] == []  # not logged too


@pytest.mark.integration
def test_auto_without_weights_does_not_import_torch():
    code = (
        "import sys; from ragkit.retrieve.rerank import CrossEncoderReranker; "
        f"r = CrossEncoderReranker({MISSING_HUB_ID!r}); assert r.available is False; "
        "assert r.last_error.startswith('no reranker weights'), r.last_error; "
        "heavy = [n for n in ('torch', 'sentence_transformers', 'transformers') if n in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.integration
def test_auto_with_required_is_an_error(rag_with):
    rag = rag_with(model=MISSING_HUB_ID, required=True)
    with pytest.raises(ModelLoadError, match=r"rerank\.required is true"):
        rag.search(QUERY)


# ---- true ---------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_true_without_weights_says_so_on_every_search(rag_with):
    rag = rag_with(enabled=True, model=MISSING_HUB_ID)
    results = [rag.search(QUERY), rag.search(QUERY, top_k=10), *rag.retriever.search_batch([QUERY, "bread"])]
    notes = {_one_line(r.rerank_note) for r in results}
    assert len(notes) == 1 and not any(r.reranked for r in results)
    note = notes.pop()
    for words in ("rerank.enabled is true", "no reranker weights", "rerank.model", "first-stage order"):
        assert words in note
    # RAG.search gives retrieval.top_k by default; the retriever's own default is the answer's top_n
    assert [len(r.results) for r in results] == [rag.cfg.retrieval.top_k, 10, rag.cfg.rerank.top_n,
                                                 rag.cfg.rerank.top_n]
    rag.close()  # Qdrant Edge: one open store per index at a time
    strict = rag_with(enabled=True, model=MISSING_HUB_ID, required=True)
    with pytest.raises(ModelLoadError, match=r"rerank\.required is true"):
        strict.search(QUERY)


@pytest.mark.integration
def test_asking_for_reranking_in_the_call_is_explicit_too(rag_with):
    rag = rag_with(model=MISSING_HUB_ID)  # auto, no weights
    notes = [rag.search(QUERY, rerank=True).rerank_note for _ in range(2)]
    assert all("rerank=True" in _one_line(n) for n in notes)
    assert rag.search(QUERY, rerank=False).rerank_note is None


# ---- false --------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_false_never_reranks_even_with_weights(rag_with, scifact_ce):
    rag = rag_with(enabled=False, model=str(scifact_ce))
    res = rag.search(QUERY)
    assert not res.reranked and res.rerank_note is None
    assert len(res.results) == rag.cfg.retrieval.top_k
    assert all("rerank" not in h.scores for h in res.results)
