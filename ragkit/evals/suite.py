"""The suite file: a YAML that names a corpus, a query set, the pipeline config and the thresholds.

    name: sample-docs                      # [a-z0-9_-]; the work dir is .ragkit/evals/<name>/
    description: ...
    corpus:                                # exactly one of:
      paths: [../docs, data/injected]      #   folders or files, ingested as `ragkit ingest` would
      beir: ${shared}/data/scifact/corpus.jsonl       # a BEIR corpus.jsonl (_id, title, text)
      squad2: {path: ${shared}/data/squad2/dev-v2.0.json, ingest: even}   # half of the articles
    queries:                               # exactly one of:
      qa: data/sample_docs_qa.jsonl        #   QA JSONL (see QAItem)
      beir: {queries: .../queries.jsonl, qrels: .../qrels/test.tsv}
      squad2: {answerable: 150, out_of_corpus: 150, in_corpus_unanswerable: 100, half: eval}
    config: {...} | path/to/ragkit.yaml    # the pipeline under test (a ragkit config; ${shared} expands)
    thresholds: {retrieval.ndcg@10: 0.6, latency.total_p95_s: {max: 3.0}}
    sample: {size: null, seed: 0, ask: 50} # queries kept (null: all); BEIR queries also asked
    retrieval: {recall_k: 100, depth: 150, max_depth: 1200}  # chunks fetched per query (below)
    latency_target_s: 3.0
    checks: [chunking, ...]                # default: every check of registry.CHECKS (the judge with `judge:`)
    judge: {provider: openai, model: gpt-4o-mini}     # optional LLM judge
    bootstrap: {n: 1000, seed: 0, alpha: 0.05}

Relative paths are relative to the suite file's folder; `${shared}` is the shared data folder
(`../shared` next to the repository, or $RAGKIT_SHARED_DIR). `--full` drops every sample size.

Confinement: every file a suite names (corpus paths, query and qrels files, a config file) must
resolve, symlinks followed, inside the suite file's folder or the shared data folder, unless the
person running the eval allows another folder: `ragkit eval SUITE --allow-path DIR` (repeatable)
or $RAGKIT_EVAL_ALLOW_PATHS (folders separated by os.pathsep). A suite cannot allow itself: no key
of the file widens what it may read. Anything else is refused before anything runs, with the
suite file, the key and the resolved path.

Depth: a query's first `depth` chunks (default 1.5 x recall_k) are ranked as one search of that
depth; when they hold fewer than recall_k distinct documents, the search is repeated at twice the
depth (up to `max_depth`, default 8 x depth) and the documents it adds are ranked after them, so
Recall@k counts k documents. The retrieval check reports the depths used.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Literal, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ragkit.errors import SuiteError
from ragkit.evals.beir import shared_dir
from ragkit.evals.registry import CHECK_IDS, metric_specs

ALLOW_ENV = "RAGKIT_EVAL_ALLOW_PATHS"  # folders a suite may read besides its own (os.pathsep-separated)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_VAR = re.compile(r"\$\{(\w+)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Squad2Corpus(_Strict):
    path: str
    ingest: Literal["even", "odd"] = "even"  # which articles (by position in the file) are ingested


class CorpusSpec(_Strict):
    paths: list[str] | None = None
    beir: str | None = None
    squad2: Squad2Corpus | None = None

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _exactly_one(self) -> "CorpusSpec":
        given = [k for k in ("paths", "beir", "squad2") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"corpus: give exactly one of paths, beir, squad2 (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("paths", "beir", "squad2") if getattr(self, k))


class BeirQueries(_Strict):
    queries: str
    qrels: str


class Squad2Queries(_Strict):
    """Sample sizes per group (None: all of the group)."""

    answerable: int | None = Field(150, ge=1)  # (a) answerable questions of the ingested articles
    out_of_corpus: int | None = Field(150, ge=1)  # (b) questions of the articles not ingested
    in_corpus_unanswerable: int | None = Field(100, ge=1)  # SQuAD's unanswerable, ingested articles
    half: Literal["all", "calib", "eval"] = "all"  # "eval": only the questions held out from calibration


class QuerySpec(_Strict):
    qa: str | None = None
    beir: BeirQueries | None = None
    squad2: Squad2Queries | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "QuerySpec":
        given = [k for k in ("qa", "beir", "squad2") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"queries: give exactly one of qa, beir, squad2 (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("qa", "beir", "squad2") if getattr(self, k) is not None)


class SampleSpec(_Strict):
    size: int | None = Field(None, ge=1)  # queries kept, drawn with `seed` (None: all)
    seed: int = 0
    ask: int | None = Field(50, ge=0)  # BEIR query sets: how many of the queries are also asked (None: all)


class RetrievalSpec(_Strict):
    recall_k: int = Field(100, ge=1)
    depth: int | None = Field(None, ge=1)  # chunks fetched first per query (default 1.5 x recall_k)
    max_depth: int | None = Field(None, ge=1)  # the deepest re-fetch (default 8 x depth)

    @property
    def chunks(self) -> int:
        return self.depth or (3 * self.recall_k + 1) // 2

    @property
    def deepest(self) -> int:
        return max(self.max_depth or 8 * self.chunks, self.chunks)


class BootstrapSpec(_Strict):
    n: int = Field(1000, ge=10)
    seed: int = 0
    alpha: float = Field(0.05, gt=0, lt=1)


class JudgeSpec(_Strict):
    provider: Literal["openai", "anthropic"]
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    max_answers: int | None = Field(50, ge=1)  # answers judged (None: all)
    max_tokens: int = Field(256, ge=16)
    timeout_s: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _no_widening(self) -> "JudgeSpec":
        from ragkit.config.security import untrusted_problems

        problems = untrusted_problems(self.model_dump(include={"base_url", "api_key_env"}, exclude_none=True))
        if problems:
            raise ValueError("; ".join(problems) + " (a suite is not a trusted config)")
        return self


class Threshold(_Strict):
    min: float | None = None
    max: float | None = None
    # True for the checklist's own defaults: those judge a metric only where the suite measures it
    # (a suite without filter questions does not fail the filter check). A threshold the suite sets
    # itself fails when its metric cannot be measured.
    _implied: bool = PrivateAttr(False)

    @classmethod
    def default(cls, better: str, value: float) -> "Threshold":
        t = cls(min=value) if better == "higher" else cls(max=value)
        t._implied = True
        return t

    @property
    def implied(self) -> bool:
        return self._implied

    @model_validator(mode="after")
    def _one_bound(self) -> "Threshold":
        if (self.min is None) == (self.max is None):
            raise ValueError("a threshold is a number, {min: x} or {max: x}")
        return self

    @property
    def op(self) -> str:
        return ">=" if self.min is not None else "<="

    @property
    def value(self) -> float:
        return float(self.min if self.min is not None else self.max)

    def passes(self, measured: float) -> bool:
        eps = 1e-12
        return measured >= self.value - eps if self.min is not None else measured <= self.value + eps


class Suite(_Strict):
    name: str
    description: str = ""
    corpus: CorpusSpec
    queries: QuerySpec
    config: dict[str, Any] | str | None = None
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    sample: SampleSpec = Field(default_factory=SampleSpec)
    retrieval: RetrievalSpec = Field(default_factory=RetrievalSpec)
    latency_target_s: float = Field(3.0, gt=0)
    checks: list[str] | None = None
    judge: JudgeSpec | None = None
    bootstrap: BootstrapSpec = Field(default_factory=BootstrapSpec)
    # set by load_suite, not by the file
    path: str | None = Field(None, exclude=True)
    sha256: str | None = Field(None, exclude=True)
    _allowed: tuple[Path, ...] = PrivateAttr(())  # folders the operator allows besides the suite's

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"name {v!r}: use lowercase letters, digits, '-', '_' or '.' (it names a folder)")
        return v

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        specs = metric_specs()
        out = {}
        for key, t in v.items():
            spec = specs.get(key)
            if spec is None:
                raise ValueError(f"thresholds.{key}: unknown metric; known: {', '.join(sorted(specs))}")
            if isinstance(t, bool) or not isinstance(t, (int, float, dict)):
                raise ValueError(f"thresholds.{key}: a number, {{min: x}} or {{max: x}}, got {t!r}")
            out[key] = ({"min": t} if spec.better == "higher" else {"max": t}) if not isinstance(t, dict) else t
        return out

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, v: list[str] | None) -> list[str] | None:
        for c in v or []:
            if c not in CHECK_IDS:
                raise ValueError(f"checks: unknown check {c!r}; known: {', '.join(CHECK_IDS)}")
        return v

    @model_validator(mode="after")
    def _squad_pairs(self) -> "Suite":
        if (self.corpus.kind == "squad2") != (self.queries.kind == "squad2"):
            raise ValueError("corpus.squad2 and queries.squad2 go together (the questions depend on the split)")
        return self

    @property
    def base_dir(self) -> Path:
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    def resolve(self, value: str, key: str) -> Path:
        """A suite path: `${shared}` expanded, relative to the suite file's folder, symlinks
        resolved; a SuiteError naming the suite, `key` and the path when it leads outside the
        folders the suite may read (see the module docstring)."""
        p = resolve_path(value, self.base_dir)
        roots = self.readable_roots()
        if not any(p.is_relative_to(r) for r in roots):
            where = self.path or "suite"
            raise SuiteError(
                f"{where}: {key}: {value!r} resolves to {p}, outside the folders this suite may read "
                f"({', '.join(map(str, roots))}); a suite reads only inside its own folder and the shared "
                f"data folder. If you trust this suite with {p}, allow it: ragkit eval SUITE --allow-path "
                f"{p} (or ${ALLOW_ENV})")
        return p

    def allow(self, folders: Sequence[str | Path]) -> "Suite":
        """Let the suite read inside `folders` too (the operator's --allow-path); returns self."""
        self._allowed = (*self._allowed, *(Path(f).expanduser().resolve() for f in folders))
        return self

    def readable_roots(self) -> list[Path]:
        env = [Path(f).expanduser().resolve() for f in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if f.strip()]
        return list(dict.fromkeys([self.base_dir, shared_dir(), *self._allowed, *env]))

    def named_paths(self) -> list[tuple[str, str]]:
        """(key, value) of every file or folder the suite names."""
        c, q = self.corpus, self.queries
        out = [(f"corpus.paths[{i}]", p) for i, p in enumerate(c.paths or [])]
        if c.beir:
            out.append(("corpus.beir", c.beir))
        if c.squad2:
            out.append(("corpus.squad2.path", c.squad2.path))
        if q.qa:
            out.append(("queries.qa", q.qa))
        if q.beir:
            out += [("queries.beir.queries", q.beir.queries), ("queries.beir.qrels", q.beir.qrels)]
        if isinstance(self.config, str):
            out.append(("config", self.config))
        return out

    def check_paths(self) -> "Suite":
        """Resolve every named path now: a suite that reads outside its folders fails before it runs."""
        for key, value in self.named_paths():
            self.resolve(value, key)
        return self

    def expand(self, value: Any) -> Any:
        """`${shared}` expanded in every string of an inline config (e.g. a reranker's model path)."""
        if isinstance(value, str):
            return _VAR.sub(lambda m: str(shared_dir()) if m.group(1) == "shared" else m.group(0), value)
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        return value

    def enabled_checks(self) -> list[str]:
        return list(self.checks) if self.checks else [c for c in CHECK_IDS if c != "judge" or self.judge]


def resolve_path(value: str, base: Path) -> Path:
    def sub(m: re.Match) -> str:
        var = m.group(1)
        if var == "shared":
            return str(shared_dir())
        raise SuiteError(f"unknown variable ${{{var}}} in path {value!r}; only ${{shared}} is known")

    p = Path(_VAR.sub(sub, value)).expanduser()
    return (p if p.is_absolute() else base / p).resolve()


def parse_suite(data: Any, *, path: str | Path | None = None, sha256: str | None = None,
                allow_paths: Sequence[str | Path] = ()) -> Suite:
    """Validate a suite mapping; every path it names is checked (see `Suite.resolve`)."""
    where = str(path) if path else "suite"
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: the top level must be a mapping (name, corpus, queries, ...)")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{key}: {msg}")
        raise SuiteError(f"{where}: invalid suite:\n  " + "\n  ".join(problems)) from None
    suite.path = str(Path(path).resolve()) if path else None
    suite.sha256 = sha256
    return suite.allow(allow_paths).check_paths()


def load_suite(path: str | Path, allow_paths: Sequence[str | Path] = ()) -> Suite:
    """Read and validate a suite file; a SuiteError names the bad key. `allow_paths`: folders the
    suite may read besides its own folder and the shared data folder (the operator's --allow-path)."""
    p = Path(path)
    if not p.is_file():
        raise SuiteError(f"suite file not found: {p}")
    raw = p.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{p}: not valid YAML: {exc}") from None
    return parse_suite(data, path=p, sha256=hashlib.sha256(raw).hexdigest(), allow_paths=allow_paths)
