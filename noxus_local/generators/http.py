"""One generation's HTTP: every request passes the SSRF guard, all of them share one deadline and the cancel token.

Like the LLM's engine (``generate/llm/openai_engine.py``): the URL is vetted
with ``[generators] allow_hosts`` (``core.ssrf.vet``: an engine on a
private or loopback address needs it listed), the request goes to exactly
the vetted address with the name kept in ``Host`` and TLS SNI, and
anything that goes wrong becomes a ``GeneratorError``. Images are
downloaded by ``core.fetch.download`` (the same guard on every hop, a size
cap while streaming, sniffed into an ``Intake``), so the engine's bytes are
bounded before Pillow sees them.

Why async: ``run`` wraps the whole call in one anyio cancel scope whose
deadline is ``timeout_seconds``, which stops a read that is waiting (a
server that never answers, or drips), and a watcher cancels the same scope
as soon as the job's cancel token is set. ``run`` is called from a worker
thread (a tool step), where it starts its own event loop.

Example::

    received = run(spec, cancel, lambda s: s.image("http://127.0.0.1:8188/view?filename=a.png", workdir))
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import anyio
import httpx
from anyio import to_thread

from noxus_local.assets.store import Cap, Intake, Received
from noxus_local.errors import InvalidMedia, LimitExceeded, ValidationError
from noxus_local.generators.base import GeneratorSpec
from noxus_local.locale import Text, t
from noxus_local.media.animation import GIF_MAGIC
from noxus_local.media.sniff import Sniffed
from noxus_local.net.fetch import FetchPolicy, download, host_header, pinned_url
from noxus_local.net.ssrf import Target, vet
from noxus_local.runtime.cancel import CancelToken

T = TypeVar("T")
JSON_MAX_BYTES = 4 * 1024 * 1024  # a ComfyUI history of a big graph is tens of KB; more is not an answer
CANCEL_POLL_SECONDS = 0.05
log = logging.getLogger(__name__)


def run(spec: GeneratorSpec, cancel: CancelToken | None, work: Callable[[Session], Awaitable[T]]) -> T:
    """``work(session)`` within ``timeout_seconds``; the cancel token's error if it was set meanwhile."""
    token = cancel or CancelToken()
    token.check()
    try:
        return anyio.run(_run, spec, token, work)
    except BaseExceptionGroup as group:  # the task group wraps what the work raised: give it back alone
        raise group.exceptions[0] from None


async def _run(spec: GeneratorSpec, cancel: CancelToken, work: Callable[[Session], Awaitable[T]]) -> T:
    timeout = spec.settings.timeout_seconds
    done: list[T] = []
    with anyio.move_on_after(timeout) as limit:
        client = await to_thread.run_sync(partial(httpx.AsyncClient, trust_env=False, follow_redirects=False,
                                                  verify=spec.verify, timeout=httpx.Timeout(timeout)))
        async with client, anyio.create_task_group() as group:
            group.start_soon(_watch, cancel, group.cancel_scope)
            try:
                done.append(await work(Session(spec, client, limit.deadline)))
            finally:
                group.cancel_scope.cancel()
    cancel.check()  # the watcher stopped it: the job's own error, not the engine's
    if not done:
        raise spec.fail("engine_timeout", t("generators_http.nothing_within", product=spec.product, timeout=timeout))
    return done[0]


async def _watch(cancel: CancelToken, scope: anyio.CancelScope) -> None:
    while not cancel.cancelled:
        await anyio.sleep(CANCEL_POLL_SECONDS)
    scope.cancel()


class Session:
    """Requests to one engine inside ``run``'s deadline."""

    def __init__(self, spec: GeneratorSpec, client: httpx.AsyncClient, deadline: float) -> None:
        self.spec, self.client, self.deadline = spec, client, deadline

    async def json(self, method: str, url: str, body: Any = None, max_bytes: int = JSON_MAX_BYTES,
                   accept: tuple[int, ...] = ()) -> Any:
        """The JSON answer of a 200 (or of a status in ``accept``: ComfyUI's 400 that lists ``node_errors``);
        another HTTP status, a broken connection or a body that is not JSON fails."""
        target = await to_thread.run_sync(self._vet, url, abandon_on_cancel=True)
        headers = {"Host": host_header(target), "Accept": "application/json"}
        if self.spec.api_key:
            headers["Authorization"] = f"Bearer {self.spec.api_key}"
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        last: Exception | None = None
        for address in target.addresses:
            try:
                async with self.client.stream(method, pinned_url(target, address), headers=headers, content=content,
                                              extensions={"sni_hostname": target.host}) as response:
                    return await self._answer(response, max_bytes, accept)
            except httpx.ConnectError as exc:
                last = exc
            except httpx.TimeoutException:
                self._timed_out()
            except httpx.HTTPError as exc:
                self._unreachable(exc)
        self._unreachable(last)

    async def image(self, url: str, folder: Path) -> Received:
        """The file at ``url`` in ``folder`` (a hidden name), at most ``max_bytes``, sniffed as an image."""
        return await self.file(url, folder, ("image",), t("generators_http.an_image"))

    async def file(self, url: str, folder: Path, kinds: tuple[str, ...], what: Text) -> Received:
        """The file at ``url`` in ``folder``, at most ``max_bytes``, sniffed as one of ``kinds`` (``"video"``,
        ``"image"``: an animated GIF or WebP); ``what`` names it in the error (es, en)."""
        spec = self.spec
        policy = FetchPolicy(list(spec.allow_hosts), max(self.deadline - anyio.current_time(), 0.001), 3)
        cap = Cap(spec.settings.max_bytes, f"generators.{spec.name}.max_bytes")
        path = folder / f".generated-{secrets.token_hex(6)}"
        reader = AnimationIntake if "image" in kinds and "video" in kinds else Intake
        intake = reader(path, dict.fromkeys(kinds, cap))
        try:
            return await download(url, "generator", intake, policy, spec.resolve, spec.verify)
        except LimitExceeded:
            intake.discard()
            self._too_large()
        except InvalidMedia:
            intake.discard()
            raise spec.fail("engine_garbage", t("generators_http.its_answer_not", what=what)) from None
        except ValidationError as exc:
            intake.discard()
            if anyio.current_time() >= self.deadline - 0.05:
                self._timed_out()
            problems = "; ".join(m.en if hasattr(m, "en") else str(m) for ms in
                                 (exc.details or {}).get("field_errors", {}).values() for m in ms)
            log.warning("generator %s: download failed: %s", spec.name, problems)
            raise spec.fail("engine_error", t("generators_http.could_not_downloaded", what=what)) \
                from None
        except BaseException:
            intake.discard()
            raise

    async def upload(self, url: str, path: Path, name: str) -> Any:
        """``POST`` ``path`` as the multipart part ``image`` named ``name`` (ComfyUI's ``/upload/image``, which
        takes audio too); its JSON answer."""
        target = await to_thread.run_sync(self._vet, url, abandon_on_cancel=True)
        headers = {"Host": host_header(target), "Accept": "application/json"}
        if self.spec.api_key:
            headers["Authorization"] = f"Bearer {self.spec.api_key}"
        data = await to_thread.run_sync(path.read_bytes)
        last: Exception | None = None
        for address in target.addresses:
            try:
                response = await self.client.post(pinned_url(target, address), headers=headers,
                                                  files={"image": (name, data, "application/octet-stream")},
                                                  data={"overwrite": "true", "type": "input"},
                                                  extensions={"sni_hostname": target.host})
            except httpx.ConnectError as exc:
                last = exc
                continue
            except httpx.TimeoutException:
                self._timed_out()
            except httpx.HTTPError as exc:
                self._unreachable(exc)
            if response.status_code != 200:
                log.warning("generator %s: HTTP %s from %s", self.spec.name, response.status_code, url)
                raise self.spec.fail("engine_error",
                                     t("generators_http.upload_answered_http", status_code=response.status_code))
            try:
                return response.json()
            except ValueError:
                raise self.spec.fail("engine_garbage", t("generators_http.upload_answered_no_json")) from None
        self._unreachable(last)

    async def _answer(self, response: httpx.Response, max_bytes: int, accept: tuple[int, ...] = ()) -> Any:
        if response.status_code != 200 and response.status_code not in accept:
            head = await _read(response, 2048, lambda: None)
            log.warning("generator %s: HTTP %s from %s: %r", self.spec.name, response.status_code,
                        response.request.url.path, head[:500])
            raise self.spec.fail("engine_error",
                                 t("generators_http.engine_answered_http", status_code=response.status_code))
        raw = await _read(response, max_bytes, lambda: self._too_large(max_bytes))
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise self.spec.fail("engine_garbage", t("generators_http.its_answer_not_json")) from None

    def _vet(self, url: str) -> Target:
        try:
            return vet(url, list(self.spec.allow_hosts), self.spec.resolve)
        except ValidationError as exc:
            problems = [m for ms in (exc.details or {}).get("field_errors", {}).values() for m in ms]
            log.warning("generator %s: %s refused by the SSRF guard: %s", self.spec.name, url, problems)
            raise self.spec.fail("engine_address_refused",
                                 t("generators_http.its_address_refused_by")
                                 ) from None

    def _timed_out(self) -> NoReturn:
        timeout = self.spec.settings.timeout_seconds
        raise self.spec.fail("engine_timeout",
                             t("generators_http.nothing_within", product=self.spec.product, timeout=timeout))

    def _too_large(self, limit: int | None = None) -> NoReturn:
        limit = limit or self.spec.settings.max_bytes
        raise self.spec.fail("engine_too_large", t("generators_http.its_answer_over_bytes", limit=limit))

    def _unreachable(self, exc: Exception | None) -> NoReturn:
        name = type(exc).__name__
        raise self.spec.fail("engine_unreachable", t("generators_http.could_not_connect", name=name))


class AnimationIntake(Intake):
    """The download of a video engine's answer: also a GIF (``VHS_VideoCombine`` in ``image/gif``), which our
    asset sniffer does not take (media/sniff.py: no GIF assets) but media/animation.py turns into an MP4."""

    def _identify(self) -> None:
        if bytes(self._head[:6]) in GIF_MAGIC and "image" in self.caps:
            self._sniffed = Sniffed("image", "image/gif", "gif")
            return
        super()._identify()


async def _read(response: httpx.Response, max_bytes: int, too_large: Callable[[], Any]) -> bytes:
    """The body up to ``max_bytes``; past it ``too_large()`` (which raises) or the first ``max_bytes``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            too_large()
            break
    return b"".join(parts)[:max_bytes]
