"""ragkit.models.hub_cache reads the Hugging Face cache layout as huggingface_hub does: both are
asked about generated cache folders and must agree (congruence), and the environment variables
name the same folder."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.models.hub_cache import cached_model_file, hub_cache_dir, valid_repo_id

hf = pytest.importorskip("huggingface_hub")

COMMIT = "a" * 40
OTHER = "b" * 40

layouts = st.fixed_dictionaries({
    "repo_dir": st.booleans(),
    "ref": st.sampled_from([None, COMMIT, OTHER]),  # what refs/main says
    "snapshots": st.sets(st.sampled_from([COMMIT, OTHER, "main"])),
    "file_in": st.sets(st.sampled_from([COMMIT, OTHER, "main"])),  # snapshots holding config.json
    "no_exist": st.sets(st.sampled_from([COMMIT, OTHER, "main"])),
})


def _build(root, repo_id: str, layout: dict) -> None:
    if not layout["repo_dir"]:
        return
    repo = root / ("models--" + repo_id.replace("/", "--"))
    repo.mkdir(parents=True)
    if layout["ref"] is not None:
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text(layout["ref"])
    for sha in layout["snapshots"]:
        (repo / "snapshots" / sha).mkdir(parents=True)
        if sha in layout["file_in"]:
            (repo / "snapshots" / sha / "config.json").write_text("{}")
    for sha in layout["no_exist"]:
        (repo / ".no_exist" / sha).mkdir(parents=True)
        (repo / ".no_exist" / sha / "config.json").write_text("")


@settings(max_examples=60, deadline=None)
@given(layout=layouts, repo_id=st.sampled_from(["org/model", "solo", "cross-encoder/ms-marco-MiniLM-L-6-v2"]))
def test_agrees_with_huggingface_hub(tmp_path_factory, layout, repo_id):
    root = tmp_path_factory.mktemp("hub")
    _build(root, repo_id, layout)
    theirs = hf.try_to_load_from_cache(repo_id, "config.json", cache_dir=str(root))
    ours = cached_model_file(repo_id, "config.json", root)
    assert (str(ours) if ours is not None else None) == (theirs if isinstance(theirs, str) else None)


@pytest.mark.parametrize("repo_id", ["org/model", "a.b-c_d/e", "x" * 96, "org/../x", "a--b", "org/m.git",
                                     "/abs/path", "too/many/parts", "sp ace", "", "x" * 97])
def test_repo_id_rule_agrees(repo_id):
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
        theirs = True
    except HFValidationError:
        theirs = False
    assert valid_repo_id(repo_id) is theirs
    if not theirs:
        with pytest.raises(ValueError, match="not a Hugging Face model id"):
            cached_model_file(repo_id, "config.json", "/nonexistent")


@pytest.mark.parametrize("env", [
    {"HF_HUB_CACHE": "{tmp}/a"},
    {"HUGGINGFACE_HUB_CACHE": "{tmp}/b"},
    {"HF_HOME": "{tmp}/c"},
    {"XDG_CACHE_HOME": "{tmp}/d"},
    {"HF_HOME": "{tmp}/e", "HF_HUB_CACHE": "{tmp}/f"},
])
def test_cache_folder_from_environment(tmp_path, monkeypatch, env):
    for key in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    values = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    code = "from huggingface_hub import constants; print(constants.HF_HUB_CACHE)"
    import os

    theirs = subprocess.run([sys.executable, "-c", code], env={**os.environ, **values},
                            capture_output=True, text=True, check=True).stdout.strip()
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    assert str(hub_cache_dir()) == theirs


def test_reranker_lookup_imports_no_huggingface_hub():
    code = ("import sys; from ragkit.retrieve.rerank import locate_weights, WeightsAbsent\n"
            "try:\n    locate_weights('org/absent-model')\nexcept WeightsAbsent as e:\n    print('absent', e)\n"
            "print('huggingface_hub' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "absent not in the Hugging Face cache" in out
    assert out.strip().endswith("False")
