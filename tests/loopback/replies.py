"""Scripted replies for the loopback server: one `Reply` per request, built with its class methods.

A reply renders in the wire format of the endpoint that received it; a request with ``"stream":
true`` gets it as server-sent events (tests/loopback/sse.py), any other as one JSON body
(tests/loopback/wire.py). Error replies (429, 5xx, 401...) are plain HTTP errors either way, as the
real APIs answer before a stream starts.

Stream scripting (only read when the request streams):

* ``deltas``: how `text` is split into text deltas (default: word by word, spaces kept in front).
* ``delta_delay_s``: a pause before each delta (a slow stream; the server notices a client that
  hangs up during the pause and records ``Seen.outcome == "client_closed"``).
* ``Reply.stall(text, after_deltas=N, seconds=S)``: one pause of S seconds after N deltas (a read
  timeout in the middle of a stream).
* ``Reply.cut(text, after_deltas=N, how=...)``: the stream breaks after N text deltas, before the
  finish and usage events (OpenAI's usage chunk and Anthropic's ``message_delta`` are not sent;
  Anthropic's ``message_start`` with the input usage is). ``after_usage=True`` instead sends every
  delta, the finish and the usage events and breaks before the terminator (``data: [DONE]`` /
  ``message_stop``). `how` says how it breaks: ``"drop"`` closes the socket in the middle of the
  chunked body, ``"eof"`` ends the body cleanly without the rest, ``"malformed"`` sends an event
  that is no JSON and ends the body, ``"error"`` sends the provider's in-stream error event
  (OpenAI ``{"error": ...}``, Anthropic ``event: error`` overloaded_error) and ends the body.
  A non-streaming request given a cut reply gets half a JSON body and a closed connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

CUT_HOWS = ("drop", "eof", "malformed", "error")


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the class methods; `kind` says which fault it is."""

    kind: str = "ok"
    text: str = "ok"
    status: int = 200
    input_tokens: int | None = None  # uncached input tokens; None: a rough count of the request
    output_tokens: int | None = None
    cache_read: int = 0
    cache_write: int = 0  # Anthropic only; OpenAI has no cache-write field
    finish_reason: str | None = None  # default "stop" / "end_turn"
    retry_after: str | None = None  # the Retry-After header, verbatim
    delay_s: float = 0.0  # sleep before answering (slow responses)
    message: str = ""
    # ---- streams (see the module docstring) ----
    deltas: tuple[str, ...] | None = None
    delta_delay_s: float = 0.0
    cut_after: int | None = None  # break after this many text deltas
    cut_after_usage: bool = False  # break after the usage events, before the terminator
    cut_how: str = "drop"
    pause_after: int | None = None  # one pause of pause_s after this many deltas
    pause_s: float = 0.0

    # ---- constructors ---------------------------------------------------------------------------
    @classmethod
    def ok(cls, text: str = "ok", *, input_tokens: int | None = None, output_tokens: int | None = None,
           cache_read: int = 0, cache_write: int = 0, finish_reason: str | None = None,
           delay_s: float = 0.0, deltas: tuple[str, ...] | list[str] | None = None,
           delta_delay_s: float = 0.0) -> "Reply":
        """A successful answer; streamed as `deltas` (default: word by word) when the client streams."""
        return cls("ok", text if deltas is None else "".join(deltas), 200, input_tokens, output_tokens, cache_read,
                   cache_write, finish_reason, delay_s=delay_s, deltas=None if deltas is None else tuple(deltas),
                   delta_delay_s=delta_delay_s)

    @classmethod
    def slow_stream(cls, n_deltas: int = 200, delta_delay_s: float = 0.05, **kw) -> "Reply":
        """A long answer streamed slowly (`n_deltas` words, `delta_delay_s` apart): for client-close tests."""
        return cls.ok(" ".join(f"w{i}" for i in range(n_deltas)), delta_delay_s=delta_delay_s, **kw)

    @classmethod
    def stall(cls, text: str = "one two three four five six", *, after_deltas: int = 2, seconds: float = 1.0,
              **kw) -> "Reply":
        """A stream that pauses `seconds` after `after_deltas` deltas, then goes on to its end."""
        return replace(cls.ok(text, **kw), pause_after=after_deltas, pause_s=seconds)

    @classmethod
    def cut(cls, text: str = "one two three four five six", *, after_deltas: int | None = None,
            after_usage: bool = False, how: str = "drop", input_tokens: int | None = None,
            output_tokens: int | None = None, cache_read: int = 0, cache_write: int = 0,
            delta_delay_s: float = 0.0) -> "Reply":
        """A stream that breaks off: after `after_deltas` text deltas, or (`after_usage`) after the usage
        events; `how` is drop / eof / malformed / error."""
        if how not in CUT_HOWS:
            raise ValueError(f"how must be one of {CUT_HOWS}, not {how!r}")
        if (after_deltas is None) == (not after_usage):
            raise ValueError("give exactly one of after_deltas=N or after_usage=True")
        return cls("cut", text, 200, input_tokens, output_tokens, cache_read, cache_write,
                   delta_delay_s=delta_delay_s, cut_after=after_deltas, cut_after_usage=after_usage, cut_how=how)

    @classmethod
    def rate_limited(cls, retry_after: str | float | None = "1") -> "Reply":
        ra = None if retry_after is None else str(retry_after)
        return cls("rate_limited", status=429, retry_after=ra, message="Rate limit reached; try again later.")

    @classmethod
    def server_error(cls, status: int = 500) -> "Reply":
        return cls("server_error", status=status, message="The server had an error processing the request.")

    @classmethod
    def overloaded(cls) -> "Reply":
        return cls("overloaded", status=529, message="Overloaded")

    @classmethod
    def slow(cls, delay_s: float, text: str = "late") -> "Reply":
        return cls("slow", text, 200, delay_s=delay_s)

    @classmethod
    def malformed(cls) -> "Reply":
        """A 200 whose body (or, streamed, whose first event) is no valid JSON."""
        return cls("malformed", status=200)

    @classmethod
    def context_length(cls) -> "Reply":
        return cls("context_length", status=400)

    @classmethod
    def auth_error(cls) -> "Reply":
        return cls("auth", status=401)

    @classmethod
    def content_filter(cls) -> "Reply":
        """A 200 whose finish reason says the output was filtered (OpenAI) or refused (Anthropic)."""
        return cls("content_filter", "", 200)

    @classmethod
    def bad_request(cls, message: str = "Invalid value for 'temperature'.") -> "Reply":
        return cls("bad_request", status=400, message=message)

    # ---- helpers ----------------------------------------------------------------------------------
    @property
    def answers(self) -> bool:
        """Whether this reply is a 200 with a message (not an HTTP error or a broken body)."""
        return self.kind in ("ok", "slow", "content_filter", "cut")

    def stream_deltas(self) -> tuple[str, ...]:
        """The text deltas a stream of this reply sends (they concatenate to `text`)."""
        if self.deltas is not None:
            return self.deltas
        return tuple(re.findall(r"\s*\S+\s*$|\s*\S+", self.text)) if self.text.strip() else (
            (self.text,) if self.text else ())


def with_usage(reply: Reply, **kw: int) -> Reply:
    """A copy of `reply` with usage fields replaced (input_tokens=, output_tokens=, cache_read=...)."""
    return replace(reply, **kw)
