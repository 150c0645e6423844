"""Scratch: per test, fresh folders and the backends opened in them, closed and removed afterwards.

Plain xunit-style `setup_method` / `teardown_method` (pytest calls them), so nothing here imports
pytest. A subclass that defines its own calls the inherited one too.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class Scratch:
    def setup_method(self, method=None) -> None:
        self._opened: list[Any] = []
        self._folders: list[str] = []

    def teardown_method(self, method=None) -> None:
        for backend in reversed(self._opened):
            backend.close()
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)

    def folder(self) -> Path:
        """A fresh folder, removed after the test."""
        self._folders.append(tempfile.mkdtemp(prefix="ragkit-conformance-"))
        return Path(self._folders[-1])

    def closed_after(self, backend: T) -> T:
        """`backend`, closed after the test."""
        self._opened.append(backend)
        return backend
