"""Read-only views for the web page: GET /v1/facets (the filter values of the index: sources,
sections, date range), GET /v1/jobs (recent ingest jobs and their reports), GET /v1/evals (the
latest `ragkit eval` reports) and GET /v1/evals/{name}/report.html (one report, sandboxed).

Facets and jobs are scoped like /v1/documents: a tenant's key sees its own documents and jobs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ragkit.serve.auth import require
from ragkit.serve.errors import ApiError
from ragkit.serve.keys import ApiKey
from ragkit.serve.schemas import ErrorResponse

router = APIRouter(prefix="/v1", tags=["browse"])
MAX_SCAN = 50_000  # chunks read to build a tenant's facets
ERRORS = {s: {"model": ErrorResponse} for s in (401, 403, 422, 429, 503)}
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"


def _dates(values) -> dict | None:
    ds = sorted(str(v)[:10] for v in values if v)
    return {"min": ds[0], "max": ds[-1]} if ds else None


def facets_of(rag, tenant_filter: dict | None) -> dict:
    store = rag.store
    if not store.exists():
        return {"sources": [], "sections": [], "created": None, "modified": None, "chunks": 0}
    if tenant_filter is None:
        return {"sources": [str(s) for s in store.distinct("source")],
                "sections": [str(s) for s in store.distinct("section")],
                "created": _dates(store.distinct("created")), "modified": _dates(store.distinct("modified")),
                "chunks": store.points()}
    chunks = store.chunks_where(tenant_filter, limit=MAX_SCAN)
    return {"sources": sorted({c.source for c in chunks}), "sections": sorted({c.section for c in chunks if c.section}),
            "created": _dates(c.created for c in chunks), "modified": _dates(c.modified for c in chunks),
            "chunks": len(chunks)}


@router.get("/facets", responses=ERRORS)
def facets(request: Request, key: ApiKey = Depends(require("query"))):
    return facets_of(request.app.state.ragkit.rag, key.filter)


@router.get("/jobs", responses=ERRORS)
def jobs(request: Request, key: ApiKey = Depends(require("query")), limit: int = Query(10, ge=1, le=100)):
    """This key's latest ingest jobs, newest first (an admin key: everyone's)."""
    path = request.app.state.ragkit.serve_dir / "jobs.sqlite"
    if not path.is_file():
        return {"jobs": []}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        where, args = ("", ()) if key.allows("admin") else ("WHERE key_id=?", (key.id,))
        rows = db.execute(f"SELECT id, state, created, started, finished, progress, report, error, request "
                          f"FROM jobs {where} ORDER BY created DESC LIMIT ?", (*args, limit)).fetchall()
    finally:
        db.close()
    out = []
    for r in rows:
        job = dict(zip(("id", "state", "created", "started", "finished", "progress", "report", "error", "request"), r))
        for k in ("progress", "report", "request"):
            job[k] = json.loads(job[k]) if job[k] else None
        out.append(job)
    return {"jobs": out}


def eval_roots(state) -> list[Path]:
    """Where `ragkit eval` writes (.ragkit/evals/<suite>/reports, from the working directory) and
    the served home's evals/ folder."""
    roots = []
    for r in (Path(".ragkit") / "evals", state.cfg.home_path / "evals"):
        r = r.expanduser().resolve()
        if r.is_dir() and r not in roots:
            roots.append(r)
    return roots


def _reports(state) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in eval_roots(state):
        for d in sorted(root.iterdir()):
            rep = d / "reports"
            if (rep / "report.json").is_file() and d.name not in found:
                found[d.name] = rep
    return found


@router.get("/evals", responses=ERRORS)
def evals(request: Request, key: ApiKey = Depends(require("admin"))):
    out = []
    for name, rep in _reports(request.app.state.ragkit).items():
        try:
            r = json.loads((rep / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        checks = [{"number": c.get("number"), "title": c.get("title"), "status": c.get("status"),
                   "metrics": [{"key": m.get("key"), "value": m.get("value")} for m in c.get("metrics", [])][:4]}
                  for c in r.get("checks", [])]
        out.append({"name": name, "status": r.get("status"), "summary": r.get("summary"),
                    "started": (r.get("run") or {}).get("started"), "checks": checks,
                    "html": (rep / "report.html").is_file(), "mtime": (rep / "report.json").stat().st_mtime})
    out.sort(key=lambda e: -e["mtime"])
    return {"evals": out}


@router.get("/evals/{name}/report.html", include_in_schema=False)
def eval_html(name: str, request: Request, key: ApiKey = Depends(require("admin"))):
    rep = _reports(request.app.state.ragkit).get(name)
    if rep is None or not (rep / "report.html").is_file():
        raise ApiError(404, "not_found", f"no eval report named {name!r}")
    return Response((rep / "report.html").read_bytes(), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"})
