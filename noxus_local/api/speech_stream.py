"""Streamed speech for ``POST /v1/audio/speech``: audio leaves as each sentence is synthesised.

The job runs like any other (same hold, one charge when it ends, the same job
history): its tool appends every piece of 16-bit PCM to
``work/<job_id>/stream.pcm`` as soon as it exists (param ``stream_pcm``), and
this module tails that file until the job settles. ``pcm`` goes out as is,
``wav`` behind a header whose sizes say "unknown" (0xFFFFFFFF, what streaming
players and ffmpeg expect), and mp3/opus/aac/flac through an ffmpeg pipe that
flushes every packet.

The response starts only once the first audio exists or the job has ended, so
an error before any audio (a voice not installed, a timeout) is still a proper
error with its status; a failure after audio began can only cut the stream.
A client that disconnects mid-stream does not cancel the job: it finishes, is
charged once, and its whole file stays at ``GET /api/v1/jobs/{id}`` — reading
all but the last byte must not be a free way to get speech.

Example::

    fh = await first_audio(path, task)          # None: the job ended first, answer as a whole file
    Stream(stream_body(fh, task, "mp3"), media_type="audio/mpeg")
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from noxus_local.media.audio import FORMATS
from noxus_local.media.ffmpeg import ffmpeg_exe

POLL_SECONDS = 0.03
CHUNK = 64 * 1024
RATE = 24_000  # Kokoro's rate; /v1/audio/speech has no sample_rate
UNKNOWN = 0xFFFFFFFF


async def first_audio(path: Path, task: asyncio.Future[Any]) -> IO[bytes] | None:
    """The stream file, opened once it holds audio; None when the job ended first.

    Opened while the job runs, the file stays readable after the job's workdir is removed.
    """
    while not task.done():
        with contextlib.suppress(FileNotFoundError):
            fh = open(path, "rb")  # noqa: SIM115 — handed over to stream_body, which closes it
            if fh.read(1):
                fh.seek(0)
                return fh
            fh.close()
        await asyncio.sleep(POLL_SECONDS)
    return None


async def pcm_tail(fh: IO[bytes], task: asyncio.Future[Any]) -> AsyncIterator[bytes]:
    """The file's bytes as they arrive, until the job has ended and all are read."""
    try:
        while True:
            ended = task.done()  # checked before reading: the tool flushed its last piece before it ended
            data = fh.read(CHUNK)
            if data:
                yield data
            elif ended:
                return
            else:
                await asyncio.sleep(POLL_SECONDS)
    finally:
        fh.close()


def wav_header(rate: int = RATE) -> bytes:
    """A 16-bit mono WAV header of unknown length (RIFF and data sizes 0xFFFFFFFF)."""
    return (b"RIFF" + struct.pack("<I", UNKNOWN) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", UNKNOWN))


async def stream_body(fh: IO[bytes], task: asyncio.Future[Any], fmt: str) -> AsyncIterator[bytes]:
    """The response body in ``fmt`` (one of /v1/audio/speech's formats)."""
    pcm = pcm_tail(fh, task)
    if fmt in ("pcm", "wav"):
        if fmt == "wav":
            yield wav_header()
        async for chunk in pcm:
            yield chunk
        return
    async for chunk in encoded(pcm, fmt):
        yield chunk


async def encoded(pcm: AsyncIterator[bytes], fmt: str) -> AsyncIterator[bytes]:
    """PCM through ffmpeg (a separate program, fed and read without blocking the event loop)."""
    args, _ = FORMATS[fmt]
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1",
        "-i", "pipe:0", *args, "-flush_packets", "1", "pipe:1",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    async def feed() -> None:
        try:
            async for chunk in pcm:
                stdin.write(chunk)
                await stdin.drain()
        finally:
            stdin.close()

    writer = asyncio.create_task(feed())
    try:
        while data := await proc.stdout.read(CHUNK):
            yield data
        await writer
    finally:
        writer.cancel()
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()
