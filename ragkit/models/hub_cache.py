"""Where a file of a Hugging Face model lies in the local hub cache, found without importing
`huggingface_hub` (0.2-0.3 s of a cold `ragkit query` on a 2-core CPU, spent only to learn
that the default reranker's weights are absent).

It reads the cache layout `huggingface_hub.try_to_load_from_cache` reads:
`<cache>/models--<org>--<name>/refs/<revision>` holds a commit hash, and the file is
`snapshots/<commit>/<filename>`; `.no_exist/<commit>/<filename>` records a known absence.
tests/models/test_hub_cache.py checks the two agree on generated cache folders.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_REPO_ID = re.compile(r"^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$")


def hub_cache_dir() -> Path:
    """The hub cache folder, from the same environment variables huggingface_hub reads."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(os.path.expandvars(explicit)).expanduser()
    home = os.environ.get("HF_HOME")
    if not home:
        home = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface")
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def valid_repo_id(repo_id: str) -> bool:
    """huggingface_hub's rule for a model id ("org/name" or "name")."""
    return bool(_REPO_ID.match(repo_id)) and "--" not in repo_id and ".." not in repo_id \
        and not repo_id.endswith(".git")


def cached_model_file(repo_id: str, filename: str, cache_dir: str | Path | None = None,
                      revision: str = "main") -> Path | None:
    """The cached copy of `filename` of model `repo_id` at `revision`, or None when the cache does
    not hold it. Raises ValueError for a string that is not a model id."""
    if not valid_repo_id(repo_id):
        raise ValueError(f"not a Hugging Face model id: {repo_id!r}")
    repo = Path(cache_dir).expanduser() if cache_dir is not None else hub_cache_dir()
    repo = repo / "--".join(["models", *repo_id.split("/")])
    if not repo.is_dir():
        return None
    ref = repo / "refs" / revision
    if ref.is_file():
        revision = ref.read_text()
    if (repo / ".no_exist" / revision / filename).is_file():
        return None
    snapshot = repo / "snapshots" / revision
    if not snapshot.is_dir():
        return None
    found = snapshot / filename
    return found if found.is_file() else None
