"""The app factory: `create_app(cfg)` -> a FastAPI app that owns one RAG (and so the embedded index).

Startup: jobs cut off by a kill are marked failed and the index recovered, then the index is
opened and the models loaded on a thread while /healthz already answers and /readyz says 503.
Shutdown (uvicorn on SIGTERM stops accepting, lets in-flight requests finish, then runs this):
readiness goes 503, the running ingest job stops at its next progress point, the RAG is closed."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragkit.config import RagkitConfig
from ragkit.errors import RagkitError
from ragkit.serve.errors import ApiError, envelope, from_ragkit, status_type
from ragkit.serve.jobs import JobRunner, JobStore
from ragkit.serve.keys import KeyRing, load_keys
from ragkit.serve.middleware import ServeMiddleware
from ragkit.serve.state import ServedRAG, ServerState

log = logging.getLogger("ragkit.serve")


def create_app(cfg: RagkitConfig, *, rag: ServedRAG | None = None, keys: KeyRing | None = None,
               env: Mapping[str, str] | None = None, embedder=None) -> FastAPI:
    """`rag`: a ServedRAG to serve (closed by the caller); else one is built from `cfg` (closed at
    shutdown). `keys`: else loaded from serve.keys_file and $RAGKIT_API_KEYS."""
    from ragkit.serve import routes_browse, routes_chat, routes_ingest, routes_openai, routes_ops, routes_query, routes_ui

    keys = keys if keys is not None else load_keys(cfg.serve.keys_file, env)
    own_rag = rag is None
    rag = rag if rag is not None else ServedRAG(cfg, embedder=embedder)
    state = ServerState(cfg=cfg, rag=rag, keys=keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = JobStore(state.serve_dir / "jobs.sqlite")
        state.jobs = JobRunner(store, rag, state.metrics)
        recovered = state.jobs.recover()

        def start() -> None:
            try:
                recovered.result()
            except Exception as exc:  # noqa: BLE001
                state.not_ready_reason = f"index recovery failed: {type(exc).__name__}: {exc}"
                log.error("ragkit serve: %s", state.not_ready_reason)
                return
            state.warm_up()

        threading.Thread(target=start, name="ragkit-warmup", daemon=True).start()
        try:
            yield
        finally:
            state.draining.set()
            state.jobs.shutdown(wait=True)
            store.close()
            if own_rag:
                rag.close()

    app = FastAPI(title="ragkit", version="1", lifespan=lifespan,
                  description="Retrieval-augmented answers with verified citations. See docs/guides/serving.md.")
    app.state.ragkit = state
    for r in (routes_ops.router, routes_query.router, routes_openai.router, routes_ingest.router,
              routes_browse.router, routes_ui.router, routes_chat.router):
        app.include_router(r)
    _handlers(app)
    if cfg.serve.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.serve.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-API-Key"])
    app.add_middleware(ServeMiddleware, state=state)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return JSONResponse(envelope(exc.type, exc.message, exc.code), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RagkitError)
    async def ragkit_error(request: Request, exc: RagkitError):
        return await api_error(request, from_ragkit(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors()[:5]:  # where and what, never the input back (it may be a secret)
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
            problems.append(f"{loc}: {e.get('msg', 'invalid')}")
        return JSONResponse(envelope("invalid_request", "; ".join(problems), "validation_error"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else status_type(exc.status_code)
        return JSONResponse(envelope(status_type(exc.status_code), message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
