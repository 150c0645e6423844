"""The README's Python example runs as written, on a copy of the bundled docs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]


def readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_opens_with_exactly_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["bash scripts/setup.sh", "bash scripts/test.sh"]
    ci = (REPO / ".ci" / "run").read_text()
    assert all(cmd in ci for cmd in commands), ".ci/run must run the README's two commands"


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, embedder_warm) -> None:
    blocks = readme_python_blocks()
    assert blocks, "README has no python example"
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "reference/deployment.pdf" in out  # the search found the scale-out page
    assert (tmp_path / ".ragkit" / "index").is_dir()
