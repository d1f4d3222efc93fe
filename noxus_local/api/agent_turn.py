"""A voice agent's turn between the request and its end (api/agent_routes.py, api/agent_stream.py): the call
it continues or starts, the agent's persona, the hold on the ledger, and the end: the reply's audio written
and the turn charged with its messages in one transaction, or its hold released (charged 0).

Example::

    turn = Turn(svc, principal, agent, "turn_…", "http://127.0.0.1:8080")
    await turn.begin(None)     # a new call; a CPU slot of the pool (503 when busy); 402 when the balance is short
    view = turn.finish("When do you open?", "At nine.", samples, 24000)    # charged, stored, signed audioUrl
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from anyio import to_thread

from noxus_local.accounts.keys import Principal
from noxus_local.agents import audio, persona, store
from noxus_local.agents.turn import Persona
from noxus_local.api.agent_schemas import TurnView
from noxus_local.api.apex_routes import fail, renamed
from noxus_local.errors import JobCancelled, NotFound, ServerBusy, ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.jobs import apex
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.text_to_speech import parse_voice


def weights(svc: Services, principal: Principal, voice_id: str) -> dict[str, float]:
    """The voice's weights: a library voice or mix, or the account's saved voice (400 ``voiceId`` if none)."""
    try:
        if voice_id.startswith("custom_"):
            return dict(svc.voices.get(voice_id, principal.account_id).mix or ())
        return parse_voice(voice_id)
    except NotFound:
        raise fail("voiceId", t("agent_turn.unknown_voice_get_api", voice_id=voice_id[:100])) from None
    except ValidationError as exc:
        raise renamed(exc, {"voiceId": "voice_id"}) from None


def persona_for(svc: Services, principal: Principal, agent: store.Agent) -> Persona:
    """The agent's persona for this turn; its text model checked (503 naming the fetch when not installed)."""
    f = agent.fields
    text_models(svc.cfg).check(f.llm_model)
    return persona.persona_of(f.system_prompt, weights(svc, principal, f.voice_id), f.language)


SLOT = {"cpu": 1}  # what a turn takes from the compute pool: Whisper, the text model and Kokoro run on the CPU
BUSY_RETRY_AFTER = 5


class Deadline(CancelToken):
    """A token that fires by itself after ``seconds`` (the pool polls it every 0.1 s: no timer thread)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.until = time.monotonic() + seconds

    @property
    def cancelled(self) -> bool:
        return time.monotonic() >= self.until or super().cancelled


def take_slot(svc: Services, turn_id: str) -> None:
    """One CPU slot of the pool jobs use, waited for at most ``[compute] voice_turn_wait_seconds``; else
    503 ``server_busy`` (seed 002: SERVICE_UNAVAILABLE) with Retry-After, before any money is held."""
    if not svc.pool.acquire(turn_id, SLOT, Deadline(svc.cfg.compute.voice_turn_wait_seconds)):
        raise ServerBusy(details={"limit": "compute_slots", "resource": "cpu"},
                         headers={"Retry-After": str(BUSY_RETRY_AFTER)})


class Turn:
    """One turn's state between the request and its end: the call, the persona, the hold."""

    def __init__(self, svc: Services, principal: Principal, agent: store.Agent, turn_id: str, base: str) -> None:
        self.svc, self.principal, self.agent, self.id, self.base = svc, principal, agent, turn_id, base
        self.cancel = CancelToken()
        self.credits = svc.cfg.apex_credits.voice_agent_turn
        self.micros = apex.credit_micros(svc.cfg, self.credits)
        self.fresh = True
        self.call: store.Call | None = None
        self.said: list[Any] = []
        self.held = False
        self.slotted = False
        self._money = threading.Lock()  # finish and release settle the hold once, whichever comes first

    async def begin(self, call_id: str | None) -> None:
        """The call (404 unknown, 400 ended), the persona (its text model installed: else 503), the hold (402)."""
        svc, p = self.svc, self.principal
        if call_id is not None:
            call = await to_thread.run_sync(store.get_call, svc.db, call_id, p.account_id, p.environment,
                                            self.agent.id)
            if call.ended():
                raise store.ended_call(call.id)
            self.call, self.fresh = call, False
            self.said = store.history(await to_thread.run_sync(store.lines, svc.db, call.id))
        else:
            self.call = store.open_call(self.agent)
            self.said = [{"role": "assistant", "content": self.agent.fields.greeting}]
        self.persona = await to_thread.run_sync(persona_for, svc, p, self.agent)
        self.llm = text_models(svc.cfg).llm(self.agent.fields.llm_model, svc.models)
        await to_thread.run_sync(take_slot, svc, self.id)
        self.slotted = True
        try:
            await to_thread.run_sync(store.hold_turn, svc.db, p, self.micros, self.id)
        except BaseException:
            self.free_slot()
            raise
        self.held = True

    def free_slot(self) -> None:
        """The turn's compute slot back to the pool (once; finish and release both call it)."""
        if self.slotted:
            self.slotted = False
            self.svc.pool.release(self.id)

    @property
    def audio_name(self) -> str:
        return f"{self.id}.wav"

    def finish(self, transcript: str, reply: str, samples: Any, rate: int) -> TurnView:
        """The reply's audio written, the turn charged and stored (one transaction): its answer."""
        assert self.call is not None
        data_dir = Path(self.svc.cfg.server.data_dir)
        path = store.audio_dir(data_dir, self.call.id) / self.audio_name
        with self._money:
            self.free_slot()  # the models are done: the audio is written and the turn stored
            if not self.held:  # released meanwhile (the client left): never charged after that
                raise JobCancelled()
            audio.write_wav(path, samples, rate)
            record = store.TurnRecord(transcript, reply, self.audio_name, round(len(samples) / rate, 3))
            try:
                number = store.finish_turn(self.svc.db, self.principal, self.call,
                                           self.agent.fields.greeting if self.fresh else None, record, self.micros,
                                           self.micros, self.id)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            self.held = False
        url = self.base + audio.signed_path(self.svc.files.secret, self.call.id, self.audio_name,
                                            self.svc.cfg.server.file_url_ttl_seconds)
        return TurnView(call_id=self.call.id, turn=number, transcript=transcript, reply=reply, audio_url=url,
                        duration_seconds=record.duration_seconds, credits_charged=self.credits)

    def release(self) -> None:
        """A turn that did not succeed: its hold back, charged 0 (once)."""
        with self._money:
            self.free_slot()
            if self.held:
                store.release_turn(self.svc.db, self.principal, self.micros, self.id)
                self.held = False
