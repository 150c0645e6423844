"""POST /v1/ingest (multipart uploads, or JSON server paths under serve.ingest_root) -> 202 and a
job; GET /v1/jobs/{id}; GET /v1/documents; DELETE /v1/documents/{source}.

Uploads land in <uploads>/<tenant>/<file name> and are ingested from <uploads>, so their sources
are "<tenant>/<file name>": what the tenant's default filter ({"source": {"glob": "<tenant>/*"}})
lets that tenant see. Server paths are for admin keys only."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ragkit.serve.auth import require
from ragkit.serve.documents import delete_document, list_documents
from ragkit.serve.errors import ApiError
from ragkit.serve.jobs import IdempotencyConflict, fingerprint
from ragkit.serve.keys import ApiKey
from ragkit.serve.schemas import DeletedOut, DocumentList, ErrorResponse, IngestPaths, JobOut

router = APIRouter(prefix="/v1", tags=["ingest"])
ERRORS = {s: {"model": ErrorResponse} for s in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)}
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")
MAX_FILES = 100
INGEST_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    "application/json": {"schema": IngestPaths.model_json_schema()}}}}


def _job_out(job: dict) -> dict:
    return {k: job[k] for k in ("id", "state", "created", "started", "finished", "progress", "report", "error",
                                "request")}


def _safe_name(raw: str | None) -> str:
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    if not name or name in (".", "..") or name.startswith(".") or _BAD_NAME.search(name) or len(name) > 200:
        raise ApiError(400, "invalid_request", f"unusable file name {raw!r}: give a plain name such as notes.md",
                       code="bad_file_name")
    return name


@router.post("/ingest", status_code=202, response_model=JobOut, responses=ERRORS, openapi_extra=INGEST_BODY)
async def ingest(request: Request, key: ApiKey = Depends(require("ingest"))):
    state = request.app.state.ragkit
    if state.draining.is_set():
        raise ApiError(503, "not_ready", "the server is shutting down", headers={"Retry-After": "5"})
    idem = request.headers.get("idempotency-key")
    if idem is not None and not (0 < len(idem) <= 200):
        raise ApiError(400, "invalid_request", "Idempotency-Key must be 1 to 200 characters")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        files = await _uploads(request)
        tenant_dir = state.uploads_dir / (key.tenant or "shared")
        fp = fingerprint([("tenant", tenant_dir.name)] + [(n, hashlib.sha256(d).digest()) for n, d in files])
        req = {"kind": "upload", "files": [f"{tenant_dir.name}/{n}" for n, _ in files]}
        job, created = _create(state, key, idem, fp, req)
        if created:
            await run_in_threadpool(_write_files, tenant_dir, files)
            state.jobs.submit(job["id"], [state.uploads_dir])
    elif ctype.startswith("application/json"):
        paths = await _server_paths(request, state, key)
        fp = fingerprint([("path", str(p)) for p in paths])
        job, created = _create(state, key, idem, fp, {"kind": "paths", "paths": [str(p) for p in paths]})
        if created:
            state.jobs.submit(job["id"], paths)
    else:
        raise ApiError(415, "unsupported_media_type", "send files as multipart/form-data (field 'files') or "
                       "JSON {\"paths\": [...]}")
    headers = {"Location": f"/v1/jobs/{job['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(_job_out(state.jobs.store.get(job["id"])), status_code=202, headers=headers)


def _create(state, key: ApiKey, idem, fp: str, req: dict):
    try:
        return state.jobs.store.create(key.id, idem, fp, req)
    except IdempotencyConflict:
        raise ApiError(409, "conflict", "this Idempotency-Key was used for a different request",
                       code="idempotency_key_reused") from None


async def _uploads(request: Request) -> list[tuple[str, bytes]]:
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    items = form.getlist("files")
    if not items:
        raise ApiError(400, "invalid_request", "no files: send them in the multipart field 'files'")
    out: dict[str, bytes] = {}
    for item in items:
        if isinstance(item, str):
            raise ApiError(400, "invalid_request", "the field 'files' must hold files, not text")
        out[_safe_name(item.filename)] = await item.read()
    await form.close()
    return list(out.items())


def _write_files(folder: Path, files: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:  # whole files only: a running ingest never reads half of one
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / name)


async def _server_paths(request: Request, state, key: ApiKey) -> list[Path]:
    if not key.allows("admin"):
        raise ApiError(403, "forbidden", "ingesting server paths needs the 'admin' role; upload files instead",
                       code="missing_role")
    root_cfg = state.cfg.serve.ingest_root
    if not root_cfg:
        raise ApiError(403, "forbidden", "server paths are off: set serve.ingest_root to the folder they may "
                       "come from", code="ingest_root_unset")
    try:
        body = IngestPaths.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(422, "invalid_request", f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}") \
            from None
    root = Path(root_cfg).expanduser().resolve()
    out = []
    for raw in body.paths:
        if "\x00" in raw:
            raise ApiError(400, "invalid_request", "a path may not contain NUL")
        p = Path(raw).expanduser()
        p = (p if p.is_absolute() else root / p).resolve()
        if not p.is_relative_to(root):
            raise ApiError(403, "forbidden", f"{raw!r} is outside the allowed ingest root", code="outside_root")
        if not p.exists():
            raise ApiError(400, "invalid_request", f"{raw!r} does not exist under the ingest root",
                           code="path_not_found")
        out.append(p)
    return out


@router.get("/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: str, request: Request, key: ApiKey = Depends(require("query"))):
    job = request.app.state.ragkit.jobs.store.get(job_id)
    if job is None or (job["key_id"] != key.id and not key.allows("admin")):
        raise ApiError(404, "not_found", "no such job for this key")
    return _job_out(job)


@router.get("/documents", response_model=DocumentList, responses=ERRORS)
def documents(request: Request, key: ApiKey = Depends(require("query")),
              limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)):
    state = request.app.state.ragkit
    return list_documents(state.rag, key.filter, limit=limit, offset=offset)


@router.delete("/documents/{source:path}", response_model=DeletedOut, responses=ERRORS)
def delete(source: str, request: Request, key: ApiKey = Depends(require("ingest"))):
    state = request.app.state.ragkit
    future = state.jobs.call(lambda: delete_document(state.rag, source, key.filter, state.uploads_dir))
    try:
        result = future.result(timeout=60)
    except FutureTimeout:
        raise ApiError(503, "busy", "an ingest job is still writing; the delete runs after it",
                       headers={"Retry-After": "10"}) from None
    if result is None:
        raise ApiError(404, "not_found", f"no document {source!r} for this key")
    return result
