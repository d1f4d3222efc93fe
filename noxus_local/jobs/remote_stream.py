"""A streamed chat on a remote worker: its pieces posted to the API node as they are decoded.

The chat tool puts each piece into its job's channel (``tools/chat_stream.py``);
on a worker that channel is a ``Relay``: a sender thread posts what has
gathered since its last post (in order, several pieces per post when the model
is faster than the round trip) to ``POST /internal/v1/jobs/{id}/stream``,
where the API node hands them to the request that streams them. The answer
says whether the client hung up (the relay's ``hung_up`` is set and the tool
stops at the next token, charged for what it generated) or whether nobody
listens there (an Idempotency-Key call, answered whole: the relay stops
posting). Posting is best effort: a failed post stops the relaying, and the
client still gets the whole answer from the job's result when it ends.
``finish`` sends what is left before the worker reports the outcome, so the
last pieces reach the client before its stream ends.

Example::

    relay = open_relay(tool, spec, client)      # None unless a chat job with stream: true
    ...tool.execute(ctx, plan)...                # pieces go out as they come
    finish_relay(tool, spec, relay)             # the rest, then the channel is closed
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from noxus_local.jobs.jobspec import JobSpec
from noxus_local.tools.base import Tool
from noxus_local.tools.chat_stream import ChatStreams, Relayed

log = logging.getLogger("noxus_local.jobs.remote_stream")
FINISH_SECONDS = 30.0  # the most the outcome waits for the last posts


class Relay:
    """A ``PieceSink`` that sends pieces with ``send`` from its own thread, in order."""

    def __init__(self, send: Callable[[list[str]], Relayed], name: str = "noxus-relay") -> None:
        self.hung_up = threading.Event()
        self._send = send
        self._pieces: list[str] = []
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def put(self, piece: str) -> None:
        with self._ready:
            self._pieces.append(piece)
            self._ready.notify()

    def finish(self, timeout: float = FINISH_SECONDS) -> None:
        """Send what is left, then end the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(timeout)

    def _loop(self) -> None:
        listening = True
        while True:
            with self._ready:
                while not self._pieces and not self._closed:
                    self._ready.wait()
                batch, self._pieces = self._pieces, []
                if not batch and self._closed:
                    return
            if not listening:
                continue
            try:
                answer = self._send(batch)
            except Exception as exc:  # the API node away: the job's result still carries the whole text
                log.warning("could not relay chat pieces (%s); the client gets the answer at the end", exc)
                listening = False
                continue
            listening = answer.listening
            if answer.stop:
                self.hung_up.set()


def open_relay(tool: Tool, spec: JobSpec, client: Any) -> Relay | None:
    """A relay attached as the job's channel when ``tool`` streams (chat) and the job asked for a stream."""
    streams = getattr(tool, "streams", None)
    if not isinstance(streams, ChatStreams) or not spec.params.get("stream"):
        return None

    def send(pieces: list[str]) -> Relayed:
        return client.stream(spec.job_id, spec.attempt, pieces)

    relay = Relay(send, name=f"noxus-relay-{spec.job_id[-6:]}")
    streams.attach(spec.job_id, relay)
    return relay


def finish_relay(tool: Tool, spec: JobSpec, relay: Relay | None) -> None:
    """The last pieces out and the job's channel closed (the tool closes it too when it ends normally)."""
    if relay is None:
        return
    relay.finish()
    streams = getattr(tool, "streams", None)
    if isinstance(streams, ChatStreams):
        streams.close(spec.job_id)
