"""Data-layer settings: ingest, chunking, embedder, store, retrieval, rerank."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator

from ragkit.config.base import Section

Precision = Literal["auto", "float32", "bfloat16"]  # embedder.precision, rerank.precision (models/precision.py)

DEFAULT_INCLUDE = ["**/*.txt", "**/*.md", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.pdf", "**/*.jsonl",
                   "**/*.docx", "**/*.pptx", "**/*.xlsx", "**/*.xlsm", "**/*.csv", "**/*.tsv", "**/*.eml", "**/*.msg",
                   "**/*.epub"]


OCR_LANG = r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$"  # Tesseract language codes, "eng" or "eng+deu"


class LoaderOptions(Section):
    """ingest.loaders: the options of the format loaders (ragkit/ingest/loaders/). Those that alter
    a file's text count as a change to it: the next ingest re-reads (and re-embeds) the files they
    apply to. The defaults here are the loaders' own (tests/ingest/test_loader_options.py checks)."""

    pptx_notes: bool = False  # PPTX speaker notes after each slide's text, as "Notes: ..."
    # XLSX/CSV/TSV: rows are written in Markdown groups of at most this many characters, each under
    # a repeat of the header row (450: a dense numeric group stays under MiniLM's 256-piece window)
    sheet_group_chars: int = Field(450, ge=1)
    sheet_max_cells: int = Field(1_000_000, ge=1)  # XLSX/CSV/TSV: a bigger file is refused (not text: no re-read)
    pdf_tables: bool = True  # ruled PDF tables as Markdown tables where pdfplumber is installed
    pdf_ocr: bool = True  # OCR pages without a text layer when Tesseract is installed
    ocr_lang: str = "eng"  # Tesseract language(s) of the OCR, e.g. "eng+deu"
    jsonl_title_in_text: bool = True  # BEIR JSONL: the title, a blank line, then the text (false: the text alone)

    @field_validator("ocr_lang")
    @classmethod
    def _tesseract_languages(cls, v: str) -> str:
        if not re.fullmatch(OCR_LANG, v):
            raise ValueError("must be Tesseract language codes joined by '+', such as eng or eng+deu "
                             "(`tesseract --list-langs` lists the installed ones)")
        return v


class IngestConfig(Section):
    include: list[str] = Field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = Field(default_factory=lambda: ["**/.git/**", "**/.ragkit/**", "**/node_modules/**"])
    max_file_mb: float = Field(50.0, gt=0)
    delete_missing: bool = True  # files gone from the ingest root are removed from the index
    # a symlink whose target lies outside its ingest root is refused (reported as a failure) unless true
    follow_external_links: bool = False
    batch_size: int = Field(1024, ge=1)  # chunks per embed + upsert batch (the embedder sorts within it)
    lock_timeout_s: float = Field(0.0, ge=0)  # wait this long for another ingest's lock, then stop
    # BM25 also indexes each chunk by the passage of its document around it, up to this many words
    # (analyzer tokens); 0: the chunk alone. Fixed when an index is created (kept with it).
    bm25_context_words: int = Field(400, ge=0)
    loaders: LoaderOptions = Field(default_factory=LoaderOptions)


class ChunkingConfig(Section):
    strategy: Literal["semantic", "recursive", "fixed_size"] = "semantic"
    chunk_size: int = Field(512, ge=16)  # tiktoken tokens
    chunk_overlap: int = Field(50, ge=0)
    encoding: str = "cl100k_base"
    # semantic: a boundary where lexical cohesion between adjacent sentence windows drops
    window: int = Field(3, ge=1)  # sentences per side
    min_chunk_tokens: int = Field(96, ge=0)

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 512)
        if v >= size:
            raise ValueError(f"chunk_overlap ({v}) must be smaller than chunk_size ({size})")
        return v


class EmbedderConfig(Section):
    provider: Literal["local", "openai"] = "local"
    model: str = "all-MiniLM-L6-v2"  # local: a sentence-transformers id or path; openai: model name
    batch_size: int = Field(64, ge=1)
    dimensions: int | None = Field(None, ge=1)  # openai text-embedding-3-*: shortened vectors
    device: str = "cpu"
    # local: auto = bfloat16 autocast on CPUs with native bf16 (1.7x faster, cosine 0.9999 to float32)
    precision: Precision = "auto"
    # local: auto = ONNX Runtime when the export exists (python -m ragkit.models.embedders.onnx_export),
    # else torch; on native-bf16 CPUs bulk (ingest) batches run on torch bf16. onnx | torch force one
    engine: Literal["auto", "onnx", "torch"] = "auto"
    base_url: str | None = None  # openai-compatible embeddings server
    api_key_env: str = "OPENAI_API_KEY"  # or a variable named *_API_KEY; sent only where it may go
    _key_hosts: tuple[str, ...] = PrivateAttr(default=())  # from security.allow_key_hosts
    _key_where: str = PrivateAttr(default="")


class StoreConfig(Section):
    backend: Literal["edge", "qdrant"] = "edge"
    path: str | None = None  # edge: defaults to <home>/index
    url: str | None = None  # qdrant: http(s)://host:6333, or ":memory:" (test stand-in)
    api_key_env: str = "QDRANT_API_KEY"  # sent to url's host; to a loopback host only when allowed
    collection: str = "ragkit"
    # edge: Qdrant Edge lets one process open an index at a time; another search or ingest waits
    # this long for it (searches hold it for well under a second), then stops with a clear error
    lock_wait_s: float = Field(30.0, ge=0)
    _key_hosts: tuple[str, ...] = PrivateAttr(default=())  # from security.allow_key_hosts
    _key_where: str = PrivateAttr(default="")


class RetrievalConfig(Section):
    mode: Literal["hybrid", "dense", "sparse"] = "hybrid"
    top_k: int = Field(10, ge=1)  # results of a search that gives no top_k, when reranking is off
    candidates: int = Field(100, ge=1)  # per branch, before fusion
    fusion: Literal["rrf", "dbsf", "weighted"] = "dbsf"  # measured best on SciFact (bench/retrieval.py)
    rrf_k: int = Field(60, ge=1)
    dense_weight: float = Field(0.5, ge=0, le=1)  # weighted fusion only
    # dense search is brute force (exact, reproducible across index builds) up to this many points;
    # at SciFact's 12.5k chunks it costs 0.5 ms a query over HNSW. 0: always the engine's choice
    exact_max_points: int = Field(20000, ge=0)


class RerankConfig(Section):
    # auto: rerank only when the weights of `model` are present (said once when they are not);
    # true: rerank, and say on every search when the weights are missing; false: never
    enabled: bool | Literal["auto"] = "auto"
    model: str = "cross-encoder/ms-marco-MiniLM-L-6-v2"  # hub id (already in the Hugging Face cache) or local directory
    top_n: int = Field(3, ge=1)  # the answer's context: results of a search that gives no top_k
    candidates: int = Field(10, ge=1)  # how many first-stage results go in
    combine: Literal["rrf", "replace", "weighted"] = "rrf"
    rrf_k: int = Field(60, ge=1)
    weight: float = Field(0.5, ge=0, le=1)  # weighted: share of the reranker's normalized score
    batch_size: int = Field(8, ge=1)  # small, length-sorted batches pad less: 30 SciFact pairs 0.87 s vs 1.30 s at 32
    max_length: int | None = Field(None, ge=8)  # default: the model's own window
    precision: Precision = "auto"  # as embedder.precision (the torch engine)
    required: bool = False  # missing weights: error instead of continuing without reranking
    # auto: ONNX Runtime over the weights' export, made once on first use (no torch per process);
    # onnx: the export must exist; torch: sentence-transformers' CrossEncoder. See retrieve/rerank.py.
    engine: Literal["auto", "onnx", "torch"] = "auto"

    @field_validator("enabled", mode="before")
    @classmethod
    def _enabled_value(cls, v):
        words = {"true": True, "false": False, "auto": "auto"}
        if isinstance(v, str) and v.strip().lower() in words:
            return words[v.strip().lower()]
        if isinstance(v, bool):
            return v
        raise ValueError("must be true, false or auto")
