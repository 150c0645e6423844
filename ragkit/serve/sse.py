"""Server-Sent Events: the ask stream's events as `event:`/`data:` frames, a heartbeat comment while
the answer is being worked on, and the bridge from ragkit's blocking iterators to an async stream.

Events of POST /v1/ask with "stream": true, in order:
    delta*     {"text", "route"}            text as the generator writes it
    reset?     {"reason"}                   cascade escalation: drop the text so far
    citation*  Citation.to_dict()           each citation of the final answer, verified against its chunk
    done       the whole answer (as POST /v1/ask returns it: text, citations, usage, cost, latency)
  | error      {"error": {"type", "message", "code"}, "query_id", "partial_text"}
The final text is done's "text": verification may rewrite what was streamed.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, AsyncIterator, Callable, Iterator

HEARTBEAT = object()  # yielded by ThreadStream when nothing came for heartbeat_s


def frame(event: str, data: Any) -> str:
    body = json.dumps(data, ensure_ascii=False, default=str)
    return f"event: {event}\ndata: {body}\n\n"


def comment(text: str = "heartbeat") -> str:
    return f": {text}\n\n"


def ask_frame(ev, answer_json: Callable) -> tuple[str, str]:
    """(event name, frame) of one ragkit.answer.events event."""
    from ragkit.answer.events import AnswerDelta, AnswerError, AnswerFinal, AnswerReset, CitationVerified

    if isinstance(ev, AnswerDelta):
        return "delta", frame("delta", {"text": ev.text, "route": ev.route})
    if isinstance(ev, AnswerReset):
        return "reset", frame("reset", {"reason": ev.reason})
    if isinstance(ev, CitationVerified):
        return "citation", frame("citation", ev.citation.to_dict())
    if isinstance(ev, AnswerFinal):
        return "done", frame("done", answer_json(ev.answer))
    if isinstance(ev, AnswerError):
        return "error", frame("error", {"error": {"type": "answer_failed", "message": ev.message,
                                                  "code": ev.error_type},
                                        "query_id": ev.query_id, "partial_text": ev.partial_text})
    raise TypeError(f"not an ask event: {type(ev).__name__}")


class ThreadStream:
    """Runs a blocking iterator in its own thread and hands its items to the event loop.

    When the consumer goes away (client disconnect: the task is cancelled), the thread stops at the
    next item and closes the iterator there, so the pipeline's own cleanup runs (a provider stream
    is closed and its ledger row written once)."""

    def __init__(self, make_iter: Callable[[], Iterator[Any]], *, name: str = "ragkit-stream"):
        self._make_iter = make_iter
        self._stop = threading.Event()
        self._name = name
        self.finished = threading.Event()

    async def items(self, heartbeat_s: float) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def put(item) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone (server stopped): nobody is listening
                self._stop.set()

        def run() -> None:
            it = None
            try:
                it = self._make_iter()
                for item in it:
                    if self._stop.is_set():
                        break
                    put(("item", item))
                else:
                    put(("end", None))
            except BaseException as exc:  # noqa: BLE001  (handed to the consumer, which maps it)
                put(("exc", exc))
            finally:
                close = getattr(it, "close", None)
                if close is not None:
                    try:
                        close()
                    except Exception:  # noqa: BLE001
                        pass
                self.finished.set()

        thread = threading.Thread(target=run, name=self._name, daemon=True)
        thread.start()
        try:
            while True:
                try:
                    kind, value = await asyncio.wait_for(queue.get(), heartbeat_s)
                except asyncio.TimeoutError:
                    yield HEARTBEAT
                    continue
                if kind == "item":
                    yield value
                elif kind == "exc":
                    raise value
                else:
                    return
        finally:
            self._stop.set()
