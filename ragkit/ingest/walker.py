"""Find the files to ingest under a root: include/exclude globs, sorted, symlinks checked.

Nothing is silently dropped: a folder that cannot be listed and a symlink that leads outside the
root come back as `Unlisted` / `FoundFile(refused=...)`, so the pipeline reports them and keeps
what it stored from them before (a folder it cannot read is not a folder that was deleted).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence


@dataclass(frozen=True)
class FoundFile:
    path: Path
    source: str  # relative to the root, forward slashes (broken links included: the loader reports them)
    refused: str | None = None  # why this file must not be read (a link leaving the root)


@dataclass(frozen=True)
class Unlisted:
    """A folder under the root that could not be listed; `source` is its path relative to the root
    ("" for the root itself): every document stored from under it is kept."""

    source: str
    reason: str


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:]):  # "**/x" also matches top-level "x"
            return True
    return False


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def link_escape(path: Path, real_root: str) -> str | None:
    """Why the symlink `path` may not be read (its target is outside `real_root`), or None."""
    if not path.is_symlink():
        return None
    target = os.path.realpath(path)
    if not os.path.exists(target):
        return None  # a broken link: the loader reports it as such
    if _inside(target, real_root):
        return None
    return (
        f"symlink leads outside the ingest root (to {target!r}); refused. Set the config key"
        " ingest.follow_external_links: true to ingest such links"
    )


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)


def walk(
    root: Path, include: Sequence[str], exclude: Sequence[str], *, follow_external_links: bool = False
) -> Iterator[FoundFile | Unlisted]:
    """Files under `root` (or `root` itself when it is a file) that match include and not exclude,
    and every folder that could not be listed. Folder symlinks are not descended."""
    if root.is_file():
        yield FoundFile(root, root.name)
        return
    real_root = os.path.realpath(root)
    unlisted: list[Unlisted] = []

    def on_error(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        rel = "" if os.path.abspath(where) == os.path.abspath(root) else where.relative_to(root).as_posix()
        if rel and _matches(rel + "/_", exclude):
            return  # an excluded folder is not read anyway
        unlisted.append(Unlisted(rel, f"folder cannot be listed: {_os_reason(exc)}; its documents are kept as they were"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        yield from unlisted
        unlisted.clear()
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if not _matches(rel, include) or _matches(rel, exclude):
                continue
            refused = None if follow_external_links else link_escape(path, real_root)
            yield FoundFile(path, rel, refused)
    yield from unlisted
