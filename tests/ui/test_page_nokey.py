"""A server with no API keys (loopback, every caller the local admin): the page never asks for a
key, and an eval's HTML report opens in a sandboxed frame where its own script cannot run."""

from __future__ import annotations

import json

import pytest

from ragkit.serve.state import ServedRAG
from ragkit.config import load_config
from tests.serve.helpers import DOCS, start, stop, wait_ready, write_docs
from tests.ui.test_page import _by, _wait

pytestmark = pytest.mark.integration


@pytest.fixture
def keyless(tmp_path, embedder_warm):
    cfg = load_config(overrides={"home": str(tmp_path), "rerank": {"enabled": False}})
    write_docs(tmp_path / "uploads", DOCS)
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([tmp_path / "uploads"])
    live = start(cfg, rag, {}, tmp_path, keys=None)
    wait_ready(live)
    yield live
    stop(live)


def test_no_key_prompt_and_sandboxed_eval_report(keyless, browser):
    assert not keyless.state.keys.enabled
    rep = keyless.home / "evals" / "tiny" / "reports"
    rep.mkdir(parents=True)
    (rep / "report.json").write_text(json.dumps({"status": "pass", "summary": {"pass": 1}, "run": {}, "checks": []}))
    (rep / "report.html").write_text("<!DOCTYPE html><title>tiny</title><style>h1{color:#080}</style>"
                                     "<h1>tiny eval report</h1><script>window.parent.__ran = 1</script>")
    d = browser
    d.get(keyless.base + "/")
    d.execute_script("sessionStorage.clear()")
    d.get(keyless.base + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    assert not d.find_element(*_by("#key-form")).is_displayed()
    d.find_element(*_by('.tab[data-view="evals"]')).click()
    _wait(d, lambda d: d.find_elements(*_by("#evals article button"))).pop().click()
    frame = _wait(d, lambda d: d.find_element(*_by("#eval-frame")) if d.find_element(
        *_by("#eval-frame")).is_displayed() else False)
    d.switch_to.frame(frame)
    try:
        assert _wait(d, lambda d: d.find_element(*_by("h1")).text) == "tiny eval report"
    finally:
        d.switch_to.default_content()
    assert d.execute_script("return window.__ran") is None
    assert not d.find_element(*_by("#key-form")).is_displayed()
