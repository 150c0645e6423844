"""The page over an LLM that writes one sentence its citation does not support (the OpenAI wire,
the loopback server as the provider): the sentence is shown as unverified, its chip as such, and
the model call's cost reaches the cost view's chart."""

from __future__ import annotations

import pytest

from ragkit.serve.state import ServedRAG
from tests.loopback.fixtures import fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply
from tests.serve.helpers import DOCS, KEYS_ENV, make_config, start, stop, wait_ready, write_docs
from tests.ui.test_page import _by, _wait

pytestmark = pytest.mark.integration
Q = "At what temperature does the alpha reactor run?"
TEXT = ("The alpha reactor runs at 451 kelvin. [Source: acme/alpha.md] "
        "The alpha reactor is painted bright green by robots. [Source: acme/alpha.md]")


@pytest.fixture
def llm_live(tmp_path, loopback, fake_keys, embedder_warm):  # noqa: F811
    cfg = make_config(tmp_path)
    cfg = cfg.model_copy(update={"llm": cfg.llm.model_validate({"small": openai_route(loopback)}),
                                 "cache": cfg.cache.model_copy(update={"enabled": False})})
    write_docs(tmp_path / "uploads", DOCS)
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([tmp_path / "uploads"])
    live = start(cfg, rag, {"RAGKIT_API_KEYS": KEYS_ENV}, tmp_path)
    wait_ready(live)
    yield live, loopback
    stop(live)


def test_unverified_sentence_and_cost_chart(llm_live, browser):
    from selenium.webdriver.common.keys import Keys

    live, provider = llm_live
    provider.script(None, Reply.ok(TEXT, input_tokens=1200, output_tokens=40))
    d = browser
    d.get(live.base + "/")
    d.execute_script("sessionStorage.setItem('ragkit.apiKey', 'k-admin')")
    d.get(live.base + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    d.find_element(*_by("#question")).send_keys(Q, Keys.ENTER)
    bad = _wait(d, lambda d: (d.find_elements(*_by("#turns .sentence.unverified")) or [False])[0])
    assert "painted bright green" in bad.text and "(unverified" in bad.text
    good = d.find_element(*_by("#turns .sentence.verified"))
    assert "451 kelvin" in good.text and "unverified" not in good.text
    assert len(d.find_elements(*_by("#turns .chip.bad"))) == 1 and len(d.find_elements(*_by("#turns .chip.ok"))) == 1
    assert "Not every sentence" in d.find_element(*_by("#turns .turn .warn")).text
    assert "gpt-4o-mini" in d.find_element(*_by("#turns .turn .meta")).text

    d.find_element(*_by('.tab[data-view="cost"]')).click()
    bar = _wait(d, lambda d: (d.find_elements(*_by("#cost-chart svg rect.bar")) or [False])[0])
    assert float(bar.get_attribute("height")) > 0
    assert "gpt-4o-mini" in d.find_element(*_by("#cost-models")).text
