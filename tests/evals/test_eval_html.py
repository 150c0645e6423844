"""The HTML report renders in headless Chromium from disk, and its charts are in the rendered DOM.

Chromium comes from the distribution's packages: when it is missing, the test installs Debian's
`chromium` with apt-get (as root); where that cannot be done it skips and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def _find() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find()
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("Chromium is not installed and installing it needs root (apt-get install chromium)")
    if not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and there is no apt-get to install it with")
    try:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], check=True,
                       capture_output=True, timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"could not install Chromium with apt-get: {exc} {detail.decode(errors='replace')[-300:]}")
    found = _find()
    if not found:
        pytest.skip("apt-get installed the chromium package but no chromium binary is on PATH")
    return found


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def test_html_report_renders_with_its_charts(passing, chromium, tmp_path):
    from bs4 import BeautifulSoup

    _, out = passing
    html = out / "report.html"
    text = html.read_text()
    # self-contained: no script, stylesheet link, or resource fetched from anywhere
    for needle in ("<script", "<link", 'src="http', "src='http", "url(http", "<img", "<iframe"):
        assert needle not in text, needle
    url = html.resolve().as_uri()
    dom = _run(chromium, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    soup = BeautifulSoup(dom.stdout, "html.parser")
    for chart in ("chart-metrics", "chart-latency", "chart-cost"):
        fig = soup.find(id=chart)
        assert fig is not None and fig.name == "figure", f"{chart} missing from the rendered DOM"
        svg = fig.find("svg")
        assert svg is not None and len(svg.find_all(["path", "rect", "use"])) > 3, f"{chart} has no drawing"
    assert soup.find("h1") and "ragkit eval" in soup.find("h1").get_text()
    assert len(soup.find_all("tr")) > 9  # a row per metric of the nine checks
    shot = tmp_path / "report.png"
    res = _run(chromium, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1200,2400", url)
    assert res.returncode == 0 and shot.is_file() and shot.stat().st_size > 20_000, res.stderr[-2000:]
