"""The parsed copy of tiktoken's BPE ranks (models/tokens.py) gives the very encoding tiktoken
builds from its checked file, and a stale or damaged copy is ignored, never trusted."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ENCODINGS = ["cl100k_base", "o200k_base"]


def _fresh(tmp_path, name: str, code: str) -> str:
    """Run `code` in a new process whose tiktoken cache is `tmp_path` (no lru_cache carried over)."""
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path)}
    prog = f"from ragkit.models.tokens import get_encoding\nenc = get_encoding({name!r})\n{code}"
    return subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("name", ENCODINGS)
def test_copy_is_written_on_first_load_and_used_after(tmp_path, name):
    probe = "print(enc.encode('Retrieval-augmented génération, 2026: ok?', disallowed_special=()))"
    first = _fresh(tmp_path, name, probe)
    copy = tmp_path / f"ragkit-{name}.ranks.marshal"
    assert copy.is_file()
    record = marshal.loads(copy.read_bytes())
    assert record[0].startswith(f"{name}|") and record[1] == name
    second = _fresh(tmp_path, name, probe)
    assert first == second


@pytest.mark.parametrize("damage", ["stale key", "garbage", "empty"])
def test_damaged_copy_is_not_trusted(tmp_path, damage):
    name = "cl100k_base"
    _fresh(tmp_path, name, "")
    copy = tmp_path / f"ragkit-{name}.ranks.marshal"
    key, enc_name, pat, ranks, special = marshal.loads(copy.read_bytes())
    if damage == "stale key":  # e.g. another tiktoken version: the ranks inside are wrong on purpose
        copy.write_bytes(marshal.dumps((key + "x", enc_name, pat, {b"a": 0}, special)))
    elif damage == "garbage":
        copy.write_bytes(b"\x00not marshal")
    else:
        copy.write_bytes(b"")
    out = _fresh(tmp_path, name, "print(len(enc._mergeable_ranks), enc.encode('hello world'))")
    assert out.split()[0] == str(len(ranks))
    assert marshal.loads(copy.read_bytes())[0] == key  # rewritten from the checked load


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@pytest.fixture(scope="module")
def pairs():
    """(ours from the parsed copy, tiktoken's own parse) per encoding."""
    import tiktoken

    from ragkit.models.tokens import _from_parsed_copy, _write_parsed_copy, install_offline_encodings

    install_offline_encodings()
    out = []
    for name in ENCODINGS:
        theirs = tiktoken.get_encoding(name)
        ours = _from_parsed_copy(name)
        if ours is None:
            _write_parsed_copy(name, theirs)
            ours = _from_parsed_copy(name)
        assert ours is not None and ours is not theirs
        out.append((ours, theirs))
    return out


@settings(max_examples=150, deadline=None)
@given(text=_texts)
def test_same_tokens_as_tiktoken(pairs, text):
    for ours, theirs in pairs:
        assert ours.encode(text, disallowed_special=()) == theirs.encode(text, disallowed_special=())
