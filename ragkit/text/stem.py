"""The Snowball stemmer holder: one PyStemmer object per thread and language (they are not
thread-safe), made on first use."""

from __future__ import annotations

import functools
import threading


@functools.lru_cache(maxsize=64)
def _stemmer(language: str, thread_id: int):
    import Stemmer

    return Stemmer.Stemmer(language)


def stemmer(language: str = "english"):
    """This thread's stemmer for `language`."""
    return _stemmer(language, threading.get_ident())


def stem_words(words: list[str], language: str = "english") -> list[str]:
    return stemmer(language).stemWords(words)
