"""Pieces of a chat answer handed from its job's thread to the request that streams them.

A streamed ``/v1/chat/completions`` runs its job like any other (hold, one
charge, job history), inline in the dispatcher's thread; the route opens a
``Channel`` for the job before it starts, the chat tool puts each piece of text
into it as it is decoded, and the route's event loop reads them. When the
client hangs up, the route sets ``hung_up``: the tool stops generating at the
next token and the job ends ``succeeded``, charged for the tokens it generated.

Example::

    channel = streams.open(job_id, asyncio.get_running_loop())   # the route, before run_inline
    streams.get(job_id).put("Hola")                                # the tool, in its thread
    await channel.queue.get()                                      # "Hola"
"""

from __future__ import annotations

import asyncio
import threading


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
        self._channels: dict[str, Channel] = {}

    def open(self, job_id: str, loop: asyncio.AbstractEventLoop) -> Channel:
        with self._lock:
            channel = self._channels[job_id] = Channel(loop)
            return channel

    def get(self, job_id: str) -> Channel | None:
        with self._lock:
            return self._channels.get(job_id)

    def close(self, job_id: str) -> None:
        with self._lock:
            self._channels.pop(job_id, None)
