"""Document text and file names are shown as text, never as HTML: a document full of <script>,
<img src=x onerror=...> and javascript: links is uploaded, asked about, opened as a citation and
listed, and nothing of it runs (no element is made from it; no CSP violation is even attempted)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import KEY
from tests.ui.test_page import _by, _wait

pytestmark = pytest.mark.integration
EVIL_NAME = "<img src=x onerror=window.__xss=1>.md"
EVIL = ("# Zorblax <script>window.__xss = 2</script> widget\n\n"
        "The zorblax widget spins at 42 revolutions per minute <img src=x onerror=\"window.__xss=3\">. "
        "Its manual is [here](javascript:window.__xss=4) and <a href=\"javascript:window.__xss=5\">there</a>.\n\n"
        "<svg onload=\"window.__xss=6\"></svg><iframe src=\"javascript:window.__xss=7\"></iframe>\n")
EVIL_TXT = ("Zorblax spare parts <script>window.__xss = 8</script> ship from the zorblax depot in Leeds "
            "<img src=x onerror=window.__xss=9> within 3 days.\n")


def _upload(served):
    with served.client(KEY) as c:
        job = c.post("/v1/ingest", files=[("files", (EVIL_NAME, EVIL.encode())),
                                          ("files", ("parts<b>bold<b>.txt", EVIL_TXT.encode()))]).json()
        deadline = time.monotonic() + 60
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
            job = c.get(f"/v1/jobs/{job['id']}").json()
    assert job["state"] == "succeeded", job


def _no_markup_ran(d):
    assert d.execute_script("return window.__xss") is None
    for css in ("#turns img", "#turns script", "#turns a", "#turns svg", "#turns iframe", "#source-text *:not(mark)",
                "#docs img", "#docs script", "#docs a", "#docs b", "#last-report img"):
        assert not d.find_elements(*_by(css)), css
    csp = [e for e in d.get_log("browser") if "Content Security Policy" in e["message"]]
    assert not csp, csp


def test_document_markup_is_text(served, browser):
    from selenium.webdriver.common.keys import Keys

    _upload(served)
    d = browser
    d.get(served.base + "/")
    d.execute_script("sessionStorage.setItem('ragkit.apiKey', arguments[0])", KEY)
    d.get(served.base + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    d.find_element(*_by("#question")).send_keys("How fast does the zorblax widget spin?", Keys.ENTER)
    chip = _wait(d, lambda d: next((c for c in d.find_elements(*_by("#turns .turn .chip"))
                                    if "onerror" in c.text), False))
    chip.click()
    _wait(d, lambda d: d.find_element(*_by("#source")).is_displayed())
    shown = d.find_element(*_by("#source-text")).text
    assert "<img src=x onerror=\"window.__xss=3\">" in shown and "javascript:window.__xss=5" in shown
    assert EVIL_NAME in d.find_element(*_by("#source-meta")).text
    d.find_element(*_by("#question")).send_keys("Where do zorblax spare parts ship from?", Keys.ENTER)
    _wait(d, lambda d: len(d.find_elements(*_by("#turns .turn .meta div"))) >= 2 * 4)
    _no_markup_ran(d)

    d.find_element(*_by('.tab[data-view="index"]')).click()
    _wait(d, lambda d: {EVIL_NAME, "parts<b>bold<b>.txt"} <= {
        e.text.removeprefix("shared/") for e in d.find_elements(*_by("#docs tbody td:first-child"))})
    _no_markup_ran(d)

    # an abstention is shown as one
    d.find_element(*_by('.tab[data-view="ask"]')).click()
    d.find_element(*_by("#question")).send_keys("What is the airspeed velocity of an unladen swallow?", Keys.ENTER)
    box = _wait(d, lambda d: (d.find_elements(*_by("#turns .turn .abstained")) or [False])[0])
    assert "No answer from the index" in box.text
