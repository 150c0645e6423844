"""An evaluation's home and inputs: the work dir, the pipeline config under test with the eval's
own paths, the corpus paths to ingest and the query items.

Layout of `.ragkit/evals/<suite name>/`::

    index/               the store + ingest manifest, reused across runs while the corpus and the
                         index-shaping config (chunking, embedder, ingest, store) stay the same
    index.fingerprint    what the index was built with; a mismatch rebuilds the index
    ledger.db            the eval's own cost ledger (the eval's cost is read from it)
    data/                generated corpora (SQuAD 2.0's ingested half), never in the repository
    reports/             the default --out
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from ragkit.config import RagkitConfig, load_config
from ragkit.errors import ConfigError, SuiteError
from ragkit.evals.items import EvalItem, load_beir, load_qa, mark_asked, sample
from ragkit.evals.suite import Suite

DEFAULT_ROOT = Path(".ragkit") / "evals"


def work_dir(suite: Suite, root: str | Path | None = None) -> Path:
    return (Path(root) if root else DEFAULT_ROOT).expanduser().resolve() / suite.name


def base_config(suite: Suite) -> RagkitConfig:
    """The pipeline config under test, as the suite gives it (inline mapping or a file)."""
    try:
        if suite.config is None:
            return load_config()
        # a suite is not a trusted config: it may not widen where keys and text are sent
        source = f"{suite.path or 'suite'}: config"
        if isinstance(suite.config, str):
            return load_config(untrusted=suite.resolve(suite.config, "config"), untrusted_source=f"{source} ({suite.config})")
        return load_config(untrusted=suite.expand(dict(suite.config)), untrusted_source=source)
    except ConfigError as exc:
        raise SuiteError(f"{suite.path or 'suite'}: config: {exc}") from None


def index_fingerprint(cfg: RagkitConfig, corpus: list[Path]) -> str:
    shape = {
        "chunking": cfg.chunking.model_dump(mode="json"),
        "embedder": cfg.embedder.model_dump(mode="json", exclude={"batch_size", "device"}),
        "ingest": cfg.ingest.model_dump(mode="json", exclude={"batch_size", "lock_timeout_s"}),
        "store": cfg.store.model_dump(mode="json", exclude={"path", "api_key_env"}),
        "corpus": [str(p) for p in corpus],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def eval_config(base: RagkitConfig, home: Path, corpus: list[Path]) -> tuple[RagkitConfig, bool]:
    """The config the eval runs: home, index, ledger under the work dir; caches off (an eval
    measures the pipeline, not a warm cache, and must give the same numbers twice); symlinks that
    lead out of a corpus folder refused whatever the suite's config says (a suite reads only
    where suite.py's confinement lets it). Returns (config, index_rebuilt)."""
    data = base.to_dict()
    data["home"] = str(home)
    data["cache"]["enabled"] = False
    data["ingest"]["follow_external_links"] = False
    data["ledger"]["path"] = str(home / "ledger.db")
    rebuilt = False
    if data["store"]["backend"] == "edge":
        data["store"]["path"] = str(home / "index")
        rebuilt = drop_stale_index(home, index_fingerprint(base, corpus))
    return RagkitConfig.from_dict(data), rebuilt


def drop_stale_home_index(config: dict[str, Any], corpus: list[Path]) -> bool:
    """`drop_stale_index` for a script that keeps an index under `config["home"]` across runs
    (bench/retrieval.py, bench/calibrate_abstention.py): True when the index was removed."""
    cfg = load_config(overrides=config)
    return drop_stale_index(cfg.home_path, index_fingerprint(cfg, corpus))


def drop_stale_index(home: Path, fingerprint: str) -> bool:
    """Remove `home/index` (store and manifest) unless `home/index.fingerprint` says it was built
    with `fingerprint`, then record `fingerprint`. True when an index was removed.

    An ingest skips unchanged files whatever the config says, so an index kept across a change of
    chunking, embedder or BM25 settings would be measured with the old settings."""
    marker = home / "index.fingerprint"
    index = home / "index"
    stale = index.exists() and (not marker.is_file() or marker.read_text().strip() != fingerprint)
    if stale:
        shutil.rmtree(index)
    home.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")
    return stale


def corpus_paths(suite: Suite, home: Path) -> list[Path]:
    """What `rag.ingest` takes; a SQuAD corpus is generated under the work dir first."""
    c = suite.corpus
    if c.kind == "paths":
        paths = [suite.resolve(p, f"corpus.paths[{i}]") for i, p in enumerate(c.paths or [])]
    elif c.kind == "beir":
        paths = [suite.resolve(c.beir, "corpus.beir")]
    else:
        from ragkit.evals.squad import load_squad, write_corpus

        src = suite.resolve(c.squad2.path, "corpus.squad2.path")
        articles = load_squad(src)
        return [write_corpus(articles, home / "data" / f"squad2-{c.squad2.ingest}.jsonl", c.squad2.ingest)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SuiteError(f"{suite.path or 'suite'}: corpus not found: {', '.join(missing)} "
                         "(shared data: set RAGKIT_SHARED_DIR)")
    return paths


def load_items(suite: Suite, full: bool) -> list[EvalItem]:
    q = suite.queries
    size = None if full else suite.sample.size
    if q.kind == "qa":
        return sample(load_qa(suite.resolve(q.qa, "queries.qa")), size, suite.sample.seed)
    if q.kind == "beir":
        queries = suite.resolve(q.beir.queries, "queries.beir.queries")
        qrels = suite.resolve(q.beir.qrels, "queries.beir.qrels")
        items = sample(load_beir(queries, qrels), size, suite.sample.seed)
        return mark_asked(items, None if full else suite.sample.ask, suite.sample.seed)
    from ragkit.evals.squad import load_squad, squad_items

    sizes: dict[str, Any] = {} if full else q.squad2.model_dump(exclude={"half"})
    articles = load_squad(suite.resolve(suite.corpus.squad2.path, "corpus.squad2.path"))
    half = None if q.squad2.half == "all" else q.squad2.half
    return squad_items(articles, suite.corpus.squad2.ingest, sizes, suite.sample.seed, half)
