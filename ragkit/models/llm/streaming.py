"""Streamed completions: the iterator that the OpenAI and Anthropic providers' `stream()` return.

``llm.stream(messages, max_tokens=..., temperature=..., timeout_s=None)`` returns an `LLMStream`.
Nothing is sent until the first ``next()``. Iterating it yields ``StreamDelta(text=...)`` for each
text delta as it arrives and ends with exactly one ``StreamDelta(completion=Completion(...))``
carrying the whole text, model, provider, finish reason, latency and `Usage` - the same figures
`complete` reports for the same response (input = uncached input; cache reads and writes apart).

Failures:

* before the first text delta (the request is refused, the connection drops, the first event is
  malformed, an in-stream error event, the stream ends with nothing): the typed `ProviderError`
  that `complete` raises for the same fault (errors_map.py), so the caller may retry or fall back.
  A refusal or content filter with no text yet is `ContentFilteredError`.
* after it (the connection drops, a read times out, a malformed or error event, the stream ends
  without its finish event): `StreamInterruptedError` with ``partial_text``, ``usage`` and
  ``__cause__`` the typed error of the fault. `usage` is the provider's own figures when its usage
  event had arrived (Anthropic sends input and cache tokens in ``message_start``; the output count
  is then the larger of the provider's and the partial text's), else an estimate: input tokens
  from the prompt (`estimate_prompt_tokens`), output tokens counted in the partial text.

Abandoned streams: ``close()`` (also on leaving ``with llm.stream(...) as s:``) closes the SDK
stream and its HTTP response (the connection is not left open or returned half-read), raises
nothing, and leaves ``s.usage`` (tokens used so far, worked out as above; zero when nothing was
requested yet) and ``s.partial_text``. After any end, ``s.outcome`` says which:
``complete`` / ``interrupted`` / ``failed`` (a typed error before the first delta) / ``closed``;
``s.usage`` is set for all four (for ``failed``: what the provider reported, if anything) and
``s.completion`` for ``complete``. While the stream is open ``s.usage`` is None. ``close()`` is
idempotent, and may be called from another thread to stop a blocked read: the reading side then
ends quietly (StopIteration) with outcome ``closed``. Closing after the completion was yielded
changes nothing. A `for` loop left by ``break`` does not close the iterator: call ``close()``.
A stream's per-read timeout is `timeout_s` (the provider's configured one when None): a stream may
run longer in total as long as events keep arriving.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Sequence

from ragkit.errors import ContentFilteredError, MalformedResponseError, ProviderError, StreamInterruptedError
from ragkit.models.llm.base import estimate_prompt_tokens
from ragkit.types import Completion, Message, StreamDelta, Usage

_SHAPE_ERRORS = (AttributeError, IndexError, KeyError, TypeError)


@dataclass
class StreamState:
    """What a provider's events said so far (its `read` function fills it in)."""

    usage: Usage | None = None  # the provider's own figures as far as they arrived
    usage_final: bool = False  # the usage with the final output count arrived
    finish_reason: str | None = None  # ragkit's name (stop, length, ...) once the finish event arrived
    model: str | None = None
    filtered: str | None = None  # why the provider withheld the answer (content filter, refusal)


class LLMStream(Iterator[StreamDelta]):
    """One streamed completion (see the module docstring). Built by a provider's `stream()`:

    `open()` sends the request and returns the SDK stream (iterable, with `close()`); `read(event,
    state)` returns an event's text delta ("" for none) and records usage / finish in `state`;
    `map_error(exc)` turns an SDK exception into a typed ProviderError; `count(text)` counts tokens."""

    def __init__(self, *, provider: str, model: str, messages: Sequence[Message], open: Callable[[], Any],
                 read: Callable[[Any, StreamState], str], map_error: Callable[[BaseException], ProviderError],
                 count: Callable[[str], int]):
        self.provider = provider
        self.model = model
        self.messages = tuple(messages)
        self.state = StreamState()
        self.outcome = "open"
        self.usage: Usage | None = None
        self.completion: Completion | None = None
        self._open, self._read, self._map_error, self._count = open, read, map_error, count
        self._parts: list[str] = []
        self._sdk: Any = None
        self._closing = False
        self._lock = threading.Lock()
        self._gen = self._run()

    # ---- the iterator ---------------------------------------------------------------------------------
    def __iter__(self) -> "LLMStream":
        return self

    def __next__(self) -> StreamDelta:
        return next(self._gen)

    def __enter__(self) -> "LLMStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def partial_text(self) -> str:
        return "".join(self._parts)

    def close(self) -> None:
        """Stop the stream: close the SDK stream and its connection; `usage` then holds the tokens used."""
        with self._lock:
            if self.outcome != "open" or self._closing:
                return
            self._closing = True
        try:
            self._gen.close()  # GeneratorExit at the pending yield: the generator closes the SDK stream
        except ValueError:  # running in another thread, blocked on a read: cut the connection under it
            self._interrupt_sdk()
        if self.outcome == "open":  # never started, or the other thread has not noticed yet
            self._end("closed")

    # ---- the work -------------------------------------------------------------------------------------
    def _run(self) -> Iterator[StreamDelta]:
        t0 = time.perf_counter()
        state = self.state
        try:
            self._sdk = self._open()
            if self._closing:
                return
            for event in self._sdk:
                if self._closing:  # close() from another thread while the request was under way
                    return
                text = self._read(event, state)
                if state.filtered:
                    raise self._filtered()
                if text:
                    self._parts.append(text)
                    yield StreamDelta(text=text)
            if state.finish_reason is None:
                raise MalformedResponseError(f"{self._where}: the stream ended without its final event",
                                             provider=self.provider, model=self.model)
        except GeneratorExit:
            self._end("closed")
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed error
            if self._closing:  # close() from another thread broke the read: end quietly
                self._end("closed")
                return
            err = self._failure(exc)
            raise err from err.__cause__  # the typed fault behind an interruption; no SDK traceback
        finally:
            self._close_sdk()
        text = self.partial_text
        usage = self._usage_so_far()
        self.completion = Completion(text=text, model=state.model or self.model, provider=self.provider,
                                     finish_reason=state.finish_reason, usage=usage,
                                     latency_s=time.perf_counter() - t0)
        self._end("complete", usage)
        yield StreamDelta(completion=self.completion)

    @property
    def _where(self) -> str:
        return f"{self.provider} model {self.model!r}"

    def _failure(self, exc: Exception) -> ProviderError:
        if isinstance(exc, _SHAPE_ERRORS):
            typed: ProviderError = MalformedResponseError(
                f"{self._where}: unexpected stream event ({type(exc).__name__}: {str(exc)[:200]})",
                provider=self.provider, model=self.model)
        else:
            typed = self._map_error(exc)
        if not self._parts:  # nothing shown yet: the caller may retry or fall back
            self._end("failed", self.state.usage if self.state.usage is not None else Usage())
            return typed
        usage = self._usage_so_far()
        self._end("interrupted", usage)
        cut = StreamInterruptedError(
            f"{self._where}: the stream broke off after {len(self.partial_text)} characters: "
            f"{str(typed).removeprefix(self._where + ': ')}",
            partial_text=self.partial_text, usage=usage, provider=self.provider, model=self.model,
            status=typed.status)
        cut.__cause__ = typed
        return cut

    def _filtered(self) -> ProviderError:
        why = self.state.filtered or "content filter"
        if not self._parts:
            return ContentFilteredError(f"{self._where}: the answer was withheld ({why})",
                                        provider=self.provider, model=self.model)
        return MalformedResponseError(f"{self._where}: the rest of the answer was withheld ({why})",
                                      provider=self.provider, model=self.model)

    def _usage_so_far(self) -> Usage:
        """The provider's figures when they arrived (output at least the partial text's count), else
        an estimate from the prompt and the text so far."""
        out = self._count(self.partial_text) if self._parts else 0
        known = self.state.usage
        if known is not None and self.state.usage_final:
            return known
        if known is not None:
            return replace(known, output_tokens=max(known.output_tokens, out))
        return Usage(input_tokens=estimate_prompt_tokens(self.messages, self._count), output_tokens=out)

    def _end(self, outcome: str, usage: Usage | None = None) -> None:
        if self.outcome != "open":
            return
        if usage is None:
            usage = self._usage_so_far() if self._sdk is not None else Usage()
        self.usage = usage
        self.outcome = outcome

    def _interrupt_sdk(self) -> None:
        """Shut the stream's socket down so that a read blocked in another thread returns at once (the
        reading thread then closes the SDK stream itself)."""
        response = getattr(self._sdk, "response", None)
        network = (getattr(response, "extensions", None) or {}).get("network_stream")
        try:
            sock = network.get_extra_info("socket") if network is not None else None
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):  # no socket to reach, or already closed: the read ends on its own
            pass

    def _close_sdk(self) -> None:
        sdk = self._sdk
        if sdk is not None:
            try:
                sdk.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is closed either way
                pass


def token_counter(model: str) -> Callable[[str], int]:
    """`count(text)` with the model's tiktoken encoding (an estimate for non-OpenAI models), loaded on first use."""
    from ragkit.models.tokens import count_tokens, encoding_for_model

    enc = encoding_for_model(model)
    return lambda text: count_tokens(text, enc)
