"""The web page in a real browser (headless chromium): the API key prompt, the set-up question
streamed from /v1/ask, a citation opened with its supporting span highlighted, the index view's
upload running an ingest job, the cost and eval views, phone width; and the page's CSP headers."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from ragkit.serve.routes_ui import ASSETS, asset, page_size
from tests.ui.conftest import KEY

pytestmark = pytest.mark.integration
QUESTION = "How do I scale out to a Qdrant server?"
WAIT = 60
NAV_TIMING = ("const n = performance.getEntriesByType('navigation')[0];"
              "const own = performance.getEntriesByType('resource').filter((r) => r.name.includes('/ui/'));"
              "return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, "
              "bytes: own.reduce((a, r) => a + r.encodedBodySize, n.encodedBodySize)};")


def _wait(driver, cond, timeout=WAIT):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # a view re-renders its table while it is read: read it again
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(cond)


def _by(css):
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR, css


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_page_headers_forbid_inline_script(served):
    with httpx.Client(base_url=served.base, timeout=10) as c:
        for path, ctype in (("/", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css")):
            r = c.get(path)
            assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
            csp = r.headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert directives["script-src"] == "'self'" and "unsafe" not in csp
            assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
            assert r.headers["x-content-type-options"] == "nosniff"
        assert c.get("/ui/../keys.py").status_code == 404 and c.get("/ui/index.html").status_code == 404
        html = c.get("/").text
    assert "<script>" not in html and not re.search(r"<[^>]+\son[a-z]+\s*=", html), "no inline script or handler"
    every = html + asset("app.js").decode() + asset("app.css").decode()
    assert not re.search(r"https?://", every.replace("http://www.w3.org/2000/svg", "")), "all assets are ragkit's"


def test_ask_cite_upload(served, browser, artifacts, tmp_path):
    from selenium.webdriver.common.keys import Keys

    d = browser
    t0 = time.perf_counter()
    d.get(served.base + "/")
    # no key yet: the first API call gets 401 and the page asks for one
    key_input = _wait(d, lambda d: d.find_element(*_by("#key-input")) if d.find_element(
        *_by("#key-form")).is_displayed() else False)
    load = d.execute_script(NAV_TIMING)
    key_input.send_keys(KEY, Keys.ENTER)
    assert d.execute_script("return sessionStorage.getItem('ragkit.apiKey')") == KEY
    assert d.execute_script("return localStorage.length") == 0 and "ragkit" not in d.get_cookies().__repr__()
    _wait(d, lambda d: len(d.find_elements(*_by("#f-source option"))) > 3)  # filters from the index

    q = d.find_element(*_by("#question"))
    q.send_keys(QUESTION, Keys.ENTER)  # keyboard only
    t_ask = time.perf_counter()
    chip = _wait(d, lambda d: (d.find_elements(*_by("#turns .turn .chip.ok")) or [False])[0])
    ask_s = time.perf_counter() - t_ask
    meta = _norm(d.find_element(*_by("#turns .turn .meta")).text)
    for word in ("model", "extractive", "route", "cost", "latency", "embed", "retrieve", "total"):
        assert word in meta, meta

    # the same question through the API: which span supports the verified sentence
    with served.client(KEY) as c:
        ref = c.post("/v1/ask", json={"question": QUESTION}).json()
    cited = ref["citations"][int(chip.get_attribute("data-citation"))]
    assert cited["verified"]
    chip.send_keys(Keys.ENTER)
    mark = _wait(d, lambda d: d.find_element(*_by("#source #highlight")) if d.find_element(
        *_by("#source")).is_displayed() else False)
    assert _norm(mark.text) == _norm(cited["quote"])
    assert cited["source"] in d.find_element(*_by("#source-meta")).text
    chunk = next(h for h in ref["chunks"] if h["chunk_id"] == cited["chunk_id"])
    assert _norm(d.find_element(*_by("#source-text")).text) == _norm(chunk["text"])
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(str(artifacts / "ask-view.png"))

    # a source filter from the index's metadata narrows the answer to that source
    d.find_element(*_by("#filters summary")).click()
    d.find_element(*_by('#f-source option[value="faq.md"]')).click()
    assert d.find_elements(*_by('#f-section option[value="How do I move from the embedded store to a Qdrant server?"]'))
    q.send_keys(QUESTION, Keys.ENTER)
    _wait(d, lambda d: len(d.find_elements(*_by("#turns .turn"))) == 2
          and d.find_elements(*_by("#turns .turn:first-child .meta div")))
    chips = [c.text for c in d.find_elements(*_by("#turns .turn:first-child .chip"))]
    assert chips and all(c.startswith("faq.md") for c in chips), chips
    d.find_element(*_by("#f-clear")).click()
    d.find_element(*_by("#filters summary")).click()

    # conversation mode is offered exactly when the server has POST /v1/chat
    with httpx.Client(base_url=served.base) as c:
        has_chat = "/v1/chat" in c.get("/openapi.json").json()["paths"]
    assert d.find_element(*_by("#chat-controls")).is_displayed() == has_chat

    # index view: upload a file, watch the job, see the document listed
    d.find_element(*_by('.tab[data-view="index"]')).click()
    _wait(d, lambda d: len(d.find_elements(*_by("#docs tbody tr"))) > 3)
    up = tmp_path / "ui-upload-notes.md"
    up.write_text("# Upload notes\n\nThe quokka gateway restarts every Tuesday at 04:00 UTC.\n")
    broken = tmp_path / "ui-broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a PDF")
    d.find_element(*_by("#upload-files")).send_keys(f"{up}\n{broken}")
    d.find_element(*_by("#upload-form button[type=submit]")).click()
    _wait(d, lambda d: "ingest succeeded" in d.find_element(*_by("#upload-state")).text)
    _wait(d, lambda d: any("shared/ui-upload-notes.md" in r.text and "succeeded" in r.text
                           for r in d.find_elements(*_by("#docs tbody tr"))), timeout=10)
    _wait(d, lambda d: "added" in d.find_element(*_by("#last-report")).text, timeout=10)
    failures = d.find_element(*_by("#last-report table")).text  # a failed file is listed with its reason
    assert "shared/ui-broken.pdf" in failures and len(failures.split("ui-broken.pdf", 1)[1].strip()) > 5, failures
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(str(artifacts / "index-view.png"))

    # cost and eval views render (an SVG chart drawn by the page, or the empty note)
    d.find_element(*_by('.tab[data-view="cost"]')).click()
    _wait(d, lambda d: d.find_elements(*_by("#cost-chart svg, #cost-chart p")))
    assert "total cost" in d.find_element(*_by("#cost-totals")).text
    rep = served.home / "evals" / "ui-demo" / "reports"  # where `ragkit eval` writes, under the served home
    rep.mkdir(parents=True)
    (rep / "report.json").write_text(json.dumps({
        "status": "fail", "summary": {"pass": 1, "fail": 1, "skip": 0, "info": 0}, "run": {"started": "2026-12-03"},
        "checks": [{"number": 1, "title": "Citations <b>verify</b>", "status": "fail",
                    "metrics": [{"key": "citations.verified_share", "value": 0.5}]}]}))
    (rep / "report.html").write_text("<!DOCTYPE html><title>r</title><style>h1{color:red}</style><h1>report</h1>")
    d.find_element(*_by('.tab[data-view="evals"]')).click()
    card = _wait(d, lambda d: (d.find_elements(*_by("#evals article")) or [False])[0])
    assert "ui-demo" in card.text and "Citations <b>verify</b>" in card.text and "0.500" in card.text
    with served.client(KEY) as c:
        r = c.get("/v1/evals/ui-demo/report.html")
        assert r.status_code == 200 and "sandbox" in r.headers["content-security-policy"]
        assert c.get("/v1/evals/nope/report.html").status_code == 404

    # phone width: nothing wider than the window
    d.set_window_size(390, 844)
    d.find_element(*_by('.tab[data-view="ask"]')).click()
    assert d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    d.set_window_size(1280, 900)

    # a warm load: the page's own three files from the server (the API calls it makes are not counted)
    d.get(served.base + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    warm = d.execute_script(NAV_TIMING)
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
              and "401" not in e["message"]]
    assert not errors, errors
    size = page_size()
    (artifacts / "page-measurements.json").write_text(json.dumps({
        "page_bytes_html_js_css": size, "files": {n: len(asset(n)) for n in ASSETS},
        "cold": load, "warm": warm,
        "first_answer_s": ask_s, "test_to_here_s": time.perf_counter() - t0}, indent=1))
    assert size < 100_000 and load["bytes"] == size
