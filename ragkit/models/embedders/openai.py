"""OpenAI embeddings (text-embedding-3-small/large, or any OpenAI-compatible server via `base_url`).

A `ragkit.protocols.Embedder`, like `LocalEmbedder`: `name`, `dim`, `max_tokens`,
`count_tokens(texts)`, `batch_invariant`, `embed(texts) -> (n, dim) float32, L2-normalized`,
`close()`. Requests are batched within the API's limits (2048 inputs and 300k tokens per request,
counted with tiktoken); an input over the model's 8191-token window is refused before any call.
`dimensions` shortens text-embedding-3 vectors.

Every request goes through a `runner` (see `EmbeddingRunner`): the orchestration layer supplies
one that checks the budget before the call, retries, and writes a ledger row with the usage the API
reported. Without a runner each batch is sent once. The SDK's own retries are off.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from ragkit.config.security import KeyGrant, grant_key, withheld_hint
from ragkit.errors import AuthenticationError, BadRequestError, ConfigError, MalformedResponseError
from ragkit.models.llm.errors_map import map_exception

MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
MAX_TOKENS_PER_INPUT = 8191
_DEFAULT_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


@dataclass(frozen=True)
class EmbeddingBatch:
    """One request's result: vectors in input order and the tokens the API billed."""

    vectors: np.ndarray
    input_tokens: int
    latency_s: float


class EmbeddingRunner(Protocol):
    """Runs one embedding request: budget check, retries, ledger row (supplied by ragkit.orchestrate).

    `send(timeout_s)` performs the HTTP call (timeout_s None: the client default)."""

    def run_embedding(self, send: Callable[[float | None], EmbeddingBatch], *, provider: str, model: str,
                      est_tokens: int) -> EmbeddingBatch: ...


class DirectRunner:
    """No orchestration: one try, no ledger."""

    def run_embedding(self, send: Callable[[float | None], EmbeddingBatch], *, provider: str, model: str,
                      est_tokens: int) -> EmbeddingBatch:
        return send(None)


def plan_batches(token_counts: Sequence[int], max_inputs: int = MAX_INPUTS_PER_REQUEST,
                 max_tokens: int = MAX_TOKENS_PER_REQUEST) -> list[range]:
    """Consecutive index ranges, each within both the input-count and the token limit. Pure."""
    batches: list[range] = []
    start, tokens = 0, 0
    for i, n in enumerate(token_counts):
        if i > start and (i - start >= max_inputs or tokens + n > max_tokens):
            batches.append(range(start, i))
            start, tokens = i, 0
        tokens += n
    if start < len(token_counts):
        batches.append(range(start, len(token_counts)))
    return batches


def normalize_rows(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vecs / norms).astype(np.float32, copy=False)


class OpenAIEmbedder:
    provider = "openai"
    batch_invariant = True  # the server embeds each input of a request on its own

    def __init__(self, model: str = "text-embedding-3-small", *, dimensions: int | None = None, batch_size: int = 2048,
                 base_url: str | None = None, api_key_env: str | None = "OPENAI_API_KEY", timeout_s: float = 60.0,
                 runner: EmbeddingRunner | None = None, allow_key_hosts: Sequence[str] = (), where: str = ""):
        self.name = model
        self.dimensions = dimensions
        self.batch_size = max(1, min(batch_size, MAX_INPUTS_PER_REQUEST))
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.allow_key_hosts = tuple(allow_key_hosts)  # security.allow_key_hosts of a trusted config
        self.where = where or f"openai embedder {model!r}"
        self.timeout_s = timeout_s
        self.runner: EmbeddingRunner = runner or DirectRunner()
        self._dim = dimensions or _DEFAULT_DIMS.get(model)
        self._client = None
        self._key: str | None = None
        self._grant: KeyGrant | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg, runner: EmbeddingRunner | None = None) -> "OpenAIEmbedder":
        """From an `EmbedderConfig` (provider: openai)."""
        model = cfg.model if cfg.model and cfg.model.lower() != "all-minilm-l6-v2" else "text-embedding-3-small"
        return cls(model, dimensions=cfg.dimensions, batch_size=cfg.batch_size, base_url=cfg.base_url,
                   api_key_env=cfg.api_key_env, runner=runner, allow_key_hosts=cfg._key_hosts,
                   where=f"{cfg._key_where} (openai embedder {model!r})" if cfg._key_where else "")

    # ---- cheap facts ----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        if self._dim is None:  # an unknown model on a compatible server: ask once
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    @property
    def max_tokens(self) -> int:
        return MAX_TOKENS_PER_INPUT

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        from ragkit.models.tokens import count_tokens

        return [count_tokens(t, "cl100k_base") for t in texts]

    # ---- calls ----------------------------------------------------------------------------------
    def _get_client(self):
        with self._lock:
            if self._client is None:
                import openai

                # the public API needs a key; a compatible server needs one only for a variable of its own
                required = self.base_url is None or (self.api_key_env or "OPENAI_API_KEY") != "OPENAI_API_KEY"
                grant = grant_key("openai", self.api_key_env, self.base_url, allow=self.allow_key_hosts,
                                  required=required, where=self.where)
                self._grant, self._key = grant, grant.value
                self._client = openai.OpenAI(api_key=self._key or "no-key", base_url=grant.url, max_retries=0,
                                             timeout=self.timeout_s)
            return self._client

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            if self._dim is None:
                raise ConfigError(f"embedder {self.name!r}: unknown dimension; set embedder.dimensions")
            return np.zeros((0, self._dim), dtype=np.float32)
        counts = self.count_tokens(texts)
        for i, n in enumerate(counts):
            if n > MAX_TOKENS_PER_INPUT:
                raise BadRequestError(
                    f"openai embeddings {self.name!r}: input {i} has {n} tokens, over the {MAX_TOKENS_PER_INPUT}-token "
                    "window; lower chunking.chunk_size", provider=self.provider, model=self.name)
        out: list[np.ndarray] = []
        for rng in plan_batches(counts, max_inputs=self.batch_size):
            batch = [texts[i] if texts[i] else " " for i in rng]
            est = sum(counts[i] for i in rng)
            result = self.runner.run_embedding(lambda timeout_s, b=batch: self._send(b, timeout_s),
                                               provider=self.provider, model=self.name, est_tokens=est)
            out.append(result.vectors)
        vecs = np.vstack(out)
        if self._dim is None:
            self._dim = int(vecs.shape[1])
        return vecs

    def _send(self, batch: list[str], timeout_s: float | None) -> EmbeddingBatch:
        import openai

        client = self._get_client()
        params: dict = {"model": self.name, "input": batch}
        if self.dimensions:
            params["dimensions"] = self.dimensions
        t0 = time.perf_counter()
        try:
            resp = client.embeddings.create(**params, timeout=timeout_s or self.timeout_s)
        except Exception as exc:
            err = map_exception(exc, openai, provider=self.provider, model=self.name, secrets=[self._key])
            if isinstance(err, AuthenticationError) and self._grant is not None and self._grant.withheld:
                err = AuthenticationError(f"{err}; {withheld_hint(self._grant)}", provider=self.provider,
                                          model=self.name, status=err.status)
            raise err from None
        latency = time.perf_counter() - t0
        try:
            rows = sorted(resp.data, key=lambda d: d.index)
            vecs = np.asarray([r.embedding for r in rows], dtype=np.float32)
            tokens = int(resp.usage.prompt_tokens) if resp.usage is not None else sum(self.count_tokens(batch))
        except (AttributeError, TypeError, ValueError) as exc:
            raise MalformedResponseError(f"openai embeddings {self.name!r}: unexpected response ({exc})",
                                         provider=self.provider, model=self.name) from None
        if vecs.ndim != 2 or vecs.shape[0] != len(batch):
            raise MalformedResponseError(
                f"openai embeddings {self.name!r}: {vecs.shape[0] if vecs.ndim else 0} vectors for {len(batch)} inputs",
                provider=self.provider, model=self.name)
        return EmbeddingBatch(normalize_rows(vecs), tokens, latency)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._key = None
            self._grant = None
