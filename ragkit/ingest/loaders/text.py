"""Plain text (.txt): the file's text as one document titled by the file name."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ragkit.ingest.loaders.base import decode_text, file_dates, read_bytes, sha256_hex
from ragkit.types import Document


class TextLoader:
    suffixes = (".txt",)

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        text = decode_text(data, source)
        created, modified = file_dates(path)
        return [Document(source, text, sha256_hex(data), title=path.stem, created=created, modified=modified)]
