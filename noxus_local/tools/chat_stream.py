"""Pieces of a chat answer handed from its job's thread to the request that streams them.

A streamed ``/v1/chat/completions`` runs its job like any other (hold, one
charge, job history), inline in the dispatcher's thread; the route opens a
``Channel`` for the job before it starts, the chat tool puts each piece of text
into it as it is decoded, and the route's event loop reads them. When the
client hangs up, the route sets ``hung_up``: the tool stops generating at the
next token and the job ends ``succeeded``, charged for the tokens it generated.

On a server whose chat jobs run on a remote worker (``[workers]``, README
"Scale-out"), the worker's chat tool puts its pieces into a relay
(``jobs/remote_stream.py``) that posts them to the API node's
``/internal/v1/jobs/{id}/stream``; there ``relay`` hands them to this
channel and answers whether the client hung up, which the relay turns into
its own ``hung_up``: the same stream, one hop longer.

Example::

    channel = streams.open(job_id, asyncio.get_running_loop())   # the route, before run_inline
    streams.get(job_id).put("Hola")                                # the tool, in its thread
    await channel.queue.get()                                      # "Hola"
    streams.relay(job_id, ["Hola"])     # a worker's pieces: Relayed(listening=True, stop=False)
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

LEFT_REMEMBERED = 1000  # jobs whose client hung up, remembered so a worker relaying them is told to stop


class PieceSink(Protocol):
    """Where the chat tool puts pieces, and the flag it reads to stop: a ``Channel`` or a worker's relay."""

    hung_up: threading.Event

    def put(self, piece: str) -> None: ...


@dataclass(frozen=True)
class Relayed:
    """What a worker's relayed pieces met: a client still reading (``listening``) or one that left (``stop``)."""

    listening: bool
    stop: bool


class Channel:
    """One job's pieces: thread-safe ``put`` onto the route's loop, and the route's hang-up flag."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.hung_up = threading.Event()

    def put(self, piece: str) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, piece)
        except RuntimeError:  # the loop closed (the server is stopping): nobody reads any more
            self.hung_up.set()


class ChatStreams:
    """The open channels of one process, by job id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, PieceSink] = {}
        self._left: collections.deque[str] = collections.deque(maxlen=LEFT_REMEMBERED)

    def open(self, job_id: str, loop: asyncio.AbstractEventLoop) -> Channel:
        with self._lock:
            channel = self._channels[job_id] = Channel(loop)
            return channel

    def attach(self, job_id: str, sink: PieceSink) -> None:
        """A sink of this process's own (a worker's relay) as the job's channel."""
        with self._lock:
            self._channels[job_id] = sink

    def get(self, job_id: str) -> PieceSink | None:
        with self._lock:
            return self._channels.get(job_id)

    def close(self, job_id: str) -> None:
        with self._lock:
            channel = self._channels.pop(job_id, None)
            if channel is not None and channel.hung_up.is_set():
                self._left.append(job_id)

    def relay(self, job_id: str, pieces: Sequence[str]) -> Relayed:
        """A remote worker's pieces of ``job_id`` into its open channel. Not listening: no channel (the
        answer is not streamed, or an API node other than this one took the request); stop: its client
        hung up (now, or before the channel closed)."""
        with self._lock:
            channel = self._channels.get(job_id)
            left = job_id in self._left
        if channel is None:
            return Relayed(listening=False, stop=left)
        for piece in pieces:
            channel.put(piece)
        return Relayed(listening=True, stop=channel.hung_up.is_set())
