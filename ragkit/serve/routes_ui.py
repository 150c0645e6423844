"""The web page: GET / (ragkit/serve/ui/index.html) and its two assets, GET /ui/app.js and
/ui/app.css, all package data, no build step, nothing from another origin.

Every page response carries a Content-Security-Policy that forbids inline script (script-src
'self'), inline styles, plugins, framing by other sites and form posts; the page itself renders
document text and names with textContent only (see docs/guides/serving.md, "The web page")."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from ragkit.serve.errors import ApiError

router = APIRouter(tags=["ui"], include_in_schema=False)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}
ASSETS = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
          "app.css": "text/css; charset=utf-8"}


@lru_cache(maxsize=None)
def asset(name: str) -> bytes:
    return resources.files("ragkit.serve").joinpath("ui", name).read_bytes()


def page_size() -> int:
    """Bytes of HTML + JS + CSS the page loads."""
    return sum(len(asset(n)) for n in ASSETS)


def _serve(name: str) -> Response:
    return Response(asset(name), media_type=ASSETS[name], headers=HEADERS)


@router.get("/")
def index():
    return _serve("index.html")


@router.get("/ui/{name}")
def ui_asset(name: str):
    if name not in ASSETS or name == "index.html":
        raise ApiError(404, "not_found", "no such page asset")
    return _serve(name)
