"""Fixtures of the web page tests: `ragkit serve`'s app on loopback over the bundled docs/ (uvicorn
in a thread, as tests/serve does) with one admin API key, and a headless Debian chromium driven by
selenium through the system chromedriver.

Without chromium/chromedriver/selenium the tests skip and say why; with RAGKIT_REQUIRE_BROWSER=1
(CI: .ci/run) they fail instead. Screenshots and the page measurements go to $RAGKIT_UI_ARTIFACTS
(default: a pytest temporary folder)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ragkit.config import load_config
from ragkit.serve.state import ServedRAG
from tests.serve.helpers import REPO, start, stop, wait_ready

KEY = "k-ui-admin"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if not any(shutil.which(b) for b in BROWSERS):
        return "no chromium on PATH (apt-get install chromium)"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH (apt-get install chromium-driver)"
    return None


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    d = os.environ.get("RAGKIT_UI_ARTIFACTS")
    p = Path(d) if d else tmp_path_factory.mktemp("ui-artifacts")
    p.mkdir(parents=True, exist_ok=True)
    return p


def _docs_index(cfg_overrides: dict, embedder) -> Path:
    """An index of docs/ built once per content and config (.ragkit/test-cache/ui-<key>/index), so a
    second run does not embed docs/ again (about a minute on two shared cores). Built aside, then
    renamed into place: two runs at once never see half of one."""
    from ragkit.evals.workdir import index_fingerprint

    docs = REPO / "docs"
    h = hashlib.sha256(index_fingerprint(load_config(overrides=cfg_overrides), [docs]).encode())
    for f in sorted(p for p in docs.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(docs)).encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    cache = REPO / ".ragkit" / "test-cache" / f"ui-{h.hexdigest()[:16]}"
    if not (cache / "index").is_dir():
        build = Path(tempfile.mkdtemp(prefix="ui-build-", dir=cache.parent if cache.parent.is_dir() else None))
        with ServedRAG(load_config(overrides={**cfg_overrides, "home": str(build)}), embedder=embedder) as rag:
            report = rag.ingest([docs])
        assert report.added and not report.failed, report
        cache.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(build, cache)
        except OSError:  # another run got there first
            shutil.rmtree(build, ignore_errors=True)
    return cache / "index"


@pytest.fixture(scope="session")
def served(tmp_path_factory, embedder_warm):
    """One server for every browser test, over an index of docs/ (copied from the cache)."""
    home = tmp_path_factory.mktemp("ui-home")
    base = {"rerank": {"enabled": False}}
    shutil.copytree(_docs_index(base, embedder_warm), home / "index")
    cfg = load_config(overrides={**base, "home": str(home),
                                 "serve": {"burst": 1000, "rate_per_min": 60000, "heartbeat_s": 1}})
    rag = ServedRAG(cfg, embedder=embedder_warm)
    live = start(cfg, rag, {"RAGKIT_API_KEYS": f"{KEY}::admin"}, home)
    wait_ready(live)
    yield live
    stop(live)


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("RAGKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"RAGKIT_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = next(shutil.which(b) for b in BROWSERS if shutil.which(b))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
