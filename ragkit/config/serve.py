"""`ragkit serve` settings: who may call (keys file), what the server may read (ingest root),
which browsers may call it (CORS), and the limits. Owned by ragkit/serve/."""

from __future__ import annotations

from pydantic import Field

from ragkit.config.base import Section


class ServeConfig(Section):
    # API keys: a YAML/JSON file of hashed keys (see docs/guides/serving.md), and/or plain keys in
    # the environment variable RAGKIT_API_KEYS ("key:tenant:role+role; ..."), hashed on load.
    keys_file: str | None = None
    # POST /v1/ingest {"paths": [...]}: server paths are accepted only under this folder (None: refused)
    ingest_root: str | None = None
    uploads_dir: str | None = None  # default <home>/uploads; uploads land in <uploads>/<tenant>/
    cors_origins: list[str] = Field(default_factory=list)  # empty: no cross-origin browser calls
    max_body_mb: float = Field(32.0, gt=0)  # request bodies (uploads included)
    max_question_chars: int = Field(4000, ge=1)
    max_top_k: int = Field(100, ge=1)
    rate_per_min: float = Field(120.0, gt=0)  # per key, unless the key sets its own
    burst: int = Field(20, ge=1)
    heartbeat_s: float = Field(15.0, gt=0)  # SSE comment line while an answer is being worked on
    shutdown_grace_s: float = Field(30.0, ge=0)  # in-flight requests get this long after SIGTERM
