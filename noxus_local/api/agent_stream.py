"""``POST /api/voice-agent/agents/{id}/respond?stream=true``: the turn as NDJSON events while it goes.

One JSON object a line: ``{"type": "transcript", "callId", "text"}`` once the caller is heard, then
``{"type": "sentence", "index", "text", "audio" (base64 WAV), "durationSeconds"}`` for each sentence
of the answer as soon as it is spoken, then ``{"type": "turn", "data": {…}}``: the same body as the
answer without ``stream`` (the whole reply's signed ``audioUrl``, the charge). A caller can play the
first sentence while the next is being made. The response starts only once the caller is heard, so
a failure before (no speech, the model missing) is a proper error status; one after is an
``{"type": "error", "error", "code"}`` line. Either way, or when the client leaves, the hold is
released and nothing is charged.

Example::

    curl -N -X POST "http://127.0.0.1:8080/api/voice-agent/agents/agent_…/respond?stream=true" \\
      -H "Authorization: Bearer $KEY" -F audio=@question.wav
    # {"type":"transcript","callId":"call_…","text":"What time do you open?"}
    # {"type":"sentence","index":1,"text":"We open at nine.","audio":"UklGR…","durationSeconds":1.4}
    # {"type":"turn","data":{"callId":"call_…","turn":1,…}}
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from anyio import to_thread
from litestar.response import Stream

from noxus_local.agents.audio import wav_bytes
from noxus_local.agents.turn import Caller, Heard, Said, turn_events
from noxus_local.api.agent_turn import Turn
from noxus_local.errors import InternalError, NoxusError
from noxus_local.jobs import apex

log = logging.getLogger("noxus_local.api.agent_stream")
END = object()
NDJSON = "application/x-ndjson"


async def streamed(turn: Turn, caller: Caller, workdir: Path) -> Stream:
    """Run the turn in a worker thread; answer once the caller is heard (an error before is raised)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def produce() -> None:
        try:
            for event in turn_events(turn.persona, turn.said, caller, models=turn.svc.models, llm=turn.llm,
                                     cancel=turn.cancel):
                loop.call_soon_threadsafe(queue.put_nowait, event)
            loop.call_soon_threadsafe(queue.put_nowait, END)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises or reports it
            loop.call_soon_threadsafe(queue.put_nowait, exc)

    task = asyncio.ensure_future(to_thread.run_sync(produce))
    try:
        first = await queue.get()
        if isinstance(first, BaseException):
            raise first
    except BaseException:
        turn.cancel.cancel()
        await to_thread.run_sync(turn.release)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    assert isinstance(first, Heard)
    return Stream(_lines(turn, first, queue, task, workdir), media_type=NDJSON, status_code=200)


def _line(value: Any) -> bytes:
    return msgspec.json.encode(value) + b"\n"


async def _lines(turn: Turn, heard: Heard, queue: asyncio.Queue[Any], task: asyncio.Future[Any],
                 workdir: Path) -> AsyncIterator[bytes]:
    said: list[Said] = []
    finished = False
    assert turn.call is not None
    try:
        yield _line({"type": "transcript", "callId": turn.call.id, "text": heard.text})
        while (item := await queue.get()) is not END:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Said):
                said.append(item)
                yield _line({"type": "sentence", "index": len(said), "text": item.sentence,
                             "audio": base64.b64encode(wav_bytes(item.samples, item.sample_rate)).decode(),
                             "durationSeconds": round(len(item.samples) / item.sample_rate, 3)})
        samples = np.concatenate([s.samples for s in said])
        view = await to_thread.run_sync(turn.finish, heard.text, " ".join(s.sentence for s in said), samples,
                                        said[0].sample_rate)
        finished = True
        yield _line({"type": "turn", "data": msgspec.to_builtins(view)})
    except NoxusError as exc:
        yield _line({"type": "error", **apex.error_body(exc, turn.svc.cfg.server.locale)[1]})
    except Exception:
        log.exception("voice agent turn %s failed mid-stream", turn.id)
        yield _line({"type": "error", **apex.error_body(InternalError(), turn.svc.cfg.server.locale)[1]})
    finally:
        if not finished:
            turn.cancel.cancel()
            await to_thread.run_sync(turn.release)
        shutil.rmtree(workdir, ignore_errors=True)
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: the producer's outcome was handed over the queue
