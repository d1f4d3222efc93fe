"""Seed 002's voice agents: ``/api/voice-agent/agents`` (create, list, show, delete), a spoken turn
(``POST /api/voice-agent/agents/{id}/respond``), the account's calls (``GET /api/voice-agent/calls``)
and a reply's audio by signed URL; in the seed's shapes (``{"data": ...}``, errors ``{"error", "code"}``),
counted in its rate windows (api/apex_routes.py ``window``).

HTTP only: the turn itself is agents/turn.py (Whisper → the text model → Kokoro) and the rows and the
money agents/store.py. A turn answers synchronously, with the reply's text and audio in one body: a
phone-like caller waits for the answer anyway, and a queued job would add the queue's round trips to
every turn. So it is not a job (no job row, not through api/submit.py's ``submit``); its money follows
the same steps on the same ledger: the turn's price (``[apex_credits] voice_agent_turn``) held before
any model runs (402 when short, the key's budget too), charged when the turn succeeds in the same
transaction that stores its messages, released when it fails (charged 0).

Example::

    curl -X POST http://127.0.0.1:8080/api/voice-agent/agents -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"name": "Lumen", "systemPrompt": "You answer for the shop Lumen, \\
      open 9 to 6.", "greeting": "Hello, Lumen here!", "ttsModel": "kokoro", "llmModel": "qwen2.5-coder-1.5b-instruct"}'
    curl -X POST http://127.0.0.1:8080/api/voice-agent/agents/agent_…/respond -H "Authorization: Bearer $KEY" \\
      -F audio=@question.wav
    # {"data": {"callId": "call_…", "turn": 1, "transcript": "What time do you open?", "reply": "We open at nine.",
    #           "audioUrl": "http://…/api/voice-agent/audio/call_…/turn_….wav?expires=…&sig=…", …}}
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.response import File, Stream

from noxus_local.accounts.keys import Principal
from noxus_local.agents import audio, persona, retention, store
from noxus_local.agents.turn import Caller, respond
from noxus_local.api import agent_keys as turn_keys
from noxus_local.api.agent_schemas import (
    AGENT_ID,
    CALL_ID,
    MAX_SYSTEM_PROMPT,
    RESPOND_FORM,
    AgentDeletedData,
    AgentIn,
    AgentView,
    ApexAgent,
    ApexAgentDeleted,
    ApexAgents,
    ApexCalls,
    ApexTurn,
    CallLine,
    CallView,
    RespondIn,
)
from noxus_local.api.agent_stream import NDJSON, streamed
from noxus_local.api.agent_turn import Turn, weights
from noxus_local.api.apex_body import read
from noxus_local.api.apex_docs import GENERATION_ERRORS, READ_ERRORS, apex_operation
from noxus_local.api.apex_routes import fail, renamed, window
from noxus_local.api.auth import require_scope
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import Binary, text_param
from noxus_local.api.envelope import EncodedResponse, raw_response
from noxus_local.api.file_routes import read_signature
from noxus_local.api.input_refs import FormShape, _from_url
from noxus_local.api.inputs import ParsedInput, read_input
from noxus_local.api.media_docs import with_media
from noxus_local.billing.limits import tier_limits
from noxus_local.errors import InvalidMedia, NotFound, UnsupportedMediaType, ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.jobs import idempotency
from noxus_local.jobs.view import iso
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.tools.spec import InputSpec

MAX_CALLER_SECONDS = 60
FORM = FormShape((InputSpec("audio", "file"),))
SYSTEM = "You answer calls for the shop Lumen. Lumen opens at nine in the morning and closes at six."
AGENT = {"id": AGENT_ID, "name": "Lumen front desk", "systemPrompt": SYSTEM, "greeting": "Hello, Lumen here!",
         "ttsModel": "kokoro", "llmModel": "qwen2.5-coder-1.5b-instruct", "voiceId": "af_heart", "language": "en-us",
         "createdAt": "2026-05-25T10:00:00Z"}
AGENT_BODY = {k: AGENT[k] for k in ("name", "systemPrompt", "greeting", "ttsModel", "llmModel")}
TURN = {"callId": CALL_ID, "turn": 1, "transcript": "What time does the shop open?",
        "reply": "Lumen opens at nine in the morning.",
        "audioUrl": f"http://127.0.0.1:8080/api/voice-agent/audio/{CALL_ID}/turn_9b1f3e4a6c8d0b2f.wav"
                    "?expires=1779721445&sig=5d1f…", "durationSeconds": 2.4, "creditsCharged": 40}
CALL = {"callId": CALL_ID, "agentId": AGENT_ID, "status": "active", "startedAt": "2026-05-25T10:00:00Z", "turns": 1,
        "transcript": [{"role": "agent", "text": "Hello, Lumen here!", "at": "2026-05-25T10:00:00Z"},
                       {"role": "caller", "text": "What time does the shop open?", "at": "2026-05-25T10:00:04Z"},
                       {"role": "agent", "text": "Lumen opens at nine in the morning.", "at": "2026-05-25T10:00:04Z"}]}
AGENT_ERRORS = (*READ_ERRORS, "not_found")
EXPIRED = t("agent_routes.expired")


# ---- agents -----------------------------------------------------------------------------------

def _view(agent: store.Agent) -> AgentView:
    f = agent.fields
    return AgentView(id=agent.id, name=f.name, system_prompt=f.system_prompt, greeting=f.greeting,
                     tts_model=f.tts_model, llm_model=f.llm_model, voice_id=f.voice_id, language=f.language,
                     created_at=iso(agent.created_at) or "")


def _checked(svc: Services, principal: Principal, body: AgentIn) -> store.AgentFields:
    """The body's models, voice and language checked (a 400 names the member), defaults filled in."""
    if not body.name.strip():
        raise fail("name", t("agent_routes.must_not_blank"))
    if not body.system_prompt.strip():
        raise fail("systemPrompt", t("agent_routes.must_not_blank"))
    if not body.greeting.strip():
        raise fail("greeting", t("agent_routes.must_not_blank"))
    names = text_models(svc.cfg).names()
    if body.llm_model not in names:
        raise fail("llmModel", t("agent_routes.unknown_model", llm_model=body.llm_model[:100], names=', '.join(names)))
    tag = persona.speaking_tag(body.language) if body.language is not None else None
    voice_id = body.voice_id or persona.default_voice(tag)
    mix = weights(svc, principal, voice_id)
    if tag is None:
        tag = _voice_language(svc, principal, voice_id, mix)
    return store.AgentFields(body.name.strip(), body.system_prompt, body.greeting.strip(), body.tts_model,
                             body.llm_model, voice_id, tag)


def _voice_language(svc: Services, principal: Principal, voice_id: str, weights: dict[str, float]) -> str:
    from noxus_local.speech import tts

    return tts.default_language(weights, saved_mix=voice_id.startswith("custom_"))


@post("/api/voice-agent/agents", status_code=200, **apex_operation(
    "apexCreateVoiceAgent", "Create a voice agent",
    "A voice agent of the account: its system prompt (the facts it answers with, up to "
    f"{MAX_SYSTEM_PROMPT:,} characters), greeting (the first message of every call), `ttsModel` (`kokoro`: the "
    "seed's elevenlabs-v3 and fish-audio-s1 do not run here, 400 naming ours), `llmModel` (a model of "
    "GET /v1/models; another is 400 listing them), optional `voiceId` (a library voice or the account's saved "
    "custom_… voice; default af_heart, ef_dora for Spanish) and `language` (default: the voice's). Free.",
    ok=(ApexAgent, {"agent": {"data": AGENT}}), errors=("validation_error", *READ_ERRORS),
    body=(AgentIn, {"lumen": AGENT_BODY, "spanish": {**AGENT_BODY, "name": "Lumen ES", "language": "es",
                                                    "greeting": "¡Hola, le atiende Lumen!", "voiceId": "ef_dora"}})))
async def create_agent(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexAgent:
    """``{"name", "systemPrompt", "greeting", "ttsModel": "kokoro", "llmModel"}`` → the agent."""
    window(request, svc, principal, "upload")
    body = read(await request.body(), AgentIn)
    fields = await to_thread.run_sync(_checked, svc, principal, body)
    agent = await to_thread.run_sync(store.create_agent, svc.db, principal.account_id, principal.environment, fields)
    return ApexAgent(data=_view(agent))


@get("/api/voice-agent/agents", **apex_operation(
    "apexListVoiceAgents", "List voice agents", "The account's voice agents, oldest first.",
    ok=(ApexAgents, {"agents": {"data": [AGENT]}}), errors=READ_ERRORS))
async def list_agents(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexAgents:
    window(request, svc, principal, "read")
    found = await to_thread.run_sync(store.list_agents, svc.db, principal.account_id, principal.environment)
    return ApexAgents(data=[_view(a) for a in found])


@get("/api/voice-agent/agents/{agent_id:str}", **apex_operation(
    "apexGetVoiceAgent", "Show a voice agent", "One of the account's agents (another's, or unknown: 404).",
    ok=(ApexAgent, {"agent": {"data": AGENT}}), errors=AGENT_ERRORS))
async def get_agent(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                    agent_id: FromPath[str]) -> ApexAgent:
    window(request, svc, principal, "read")
    agent = await to_thread.run_sync(store.get_agent, svc.db, agent_id, principal.account_id, principal.environment)
    return ApexAgent(data=_view(agent))


@delete("/api/voice-agent/agents/{agent_id:str}", status_code=200, **apex_operation(
    "apexDeleteVoiceAgent", "Delete a voice agent",
    "One of the account's agents, with its calls, their transcripts and reply audio (another's, or unknown: 404).",
    ok=(ApexAgentDeleted, {"deleted": {"data": {"id": AGENT_ID, "deleted": True}}}), errors=AGENT_ERRORS))
async def delete_agent(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                       agent_id: FromPath[str]) -> ApexAgentDeleted:
    window(request, svc, principal, "delete")

    def remove() -> None:
        agent = store.get_agent(svc.db, agent_id, principal.account_id, principal.environment)
        store.delete_agent(svc.db, agent, Path(svc.cfg.server.data_dir))

    await to_thread.run_sync(remove)
    return ApexAgentDeleted(data=AgentDeletedData(id=agent_id, deleted=True))


# ---- a turn -----------------------------------------------------------------------------------

async def _caller(request: Request[Any, Any, Any], svc: Services, principal: Principal,
                  workdir: Path) -> tuple[Caller, str | None, dict[str, Any]]:
    """The caller's audio (a multipart ``audio`` part, or JSON ``audioUrl`` fetched through the SSRF guard)
    or words (``text``), the ``callId`` to continue, and what the request means (for an Idempotency-Key's
    fingerprint: the fields, the uploaded file's SHA-256); neither audio nor words is a 400."""
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        parsed = await read_input(request, FORM, limits, workdir)
        text = _form_text(parsed, "text", 2000)
        call_id = _form_text(parsed, "callId", 100)
        audio_url = None
    elif ctype in ("application/json", "") or ctype.endswith("+json"):
        body = read(await request.body(), RespondIn)
        text, call_id, audio_url, parsed = body.text, body.call_id, body.audio_url, ParsedInput()
        if body.audio_url is not None and text is None:
            try:
                await _from_url(svc, "audio", body.audio_url, limits, workdir, parsed)
            except ValidationError as exc:
                raise renamed(exc, {"audioUrl": "audio_url"}) from None
    else:
        raise UnsupportedMediaType(details={"content_type": ctype[:100],
                                            "accepted": ["multipart/form-data", "application/json"]})
    given = parsed.files.get("audio")
    meaning: dict[str, Any] = {"text": text, "callId": call_id, "audioUrl": audio_url}
    if given is None and not (text or "").strip():
        raise fail("audio", t("agent_routes.required_audio_file_multipart"))
    if given is not None and not (text or "").strip():
        await to_thread.run_sync(_check_audio, given.path)
        meaning["audio"] = await to_thread.run_sync(_sha256, given.path)
        return Caller(audio=given.path), call_id, meaning
    return Caller(text=text), call_id, meaning


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _form_text(parsed: ParsedInput, name: str, most: int) -> str | None:
    value = parsed.fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= most:
        raise fail(name, t("agent_routes.string_length", most=most))
    return value


def _check_audio(path: Path) -> None:
    """A file with a sound track of at most ``MAX_CALLER_SECONDS``, else a 400 naming ``audio``."""
    from noxus_local.media.probe import probe

    try:
        info = probe(path)
    except InvalidMedia:
        raise fail("audio", t("agent_routes.not_audio_file_ffmpeg")) from None
    if info.audio is None:
        raise fail("audio", t("agent_routes.has_no_sound_track"))
    if (info.duration or 0) > MAX_CALLER_SECONDS:
        raise fail("audio", t("agent_routes.at_most_seconds_sound", max_caller_seconds=MAX_CALLER_SECONDS))


STREAM_PARAM = text_param("true: answer NDJSON events as the turn goes (transcript, each sentence with its audio, "
                          "then the turn)", enum=["true", "false"], default="false")
STREAM_EXAMPLE = "\n".join(msgspec.json.encode(line).decode() for line in (
    {"type": "transcript", "callId": CALL_ID, "text": TURN["transcript"]},
    {"type": "sentence", "index": 1, "text": TURN["reply"], "audio": "UklGRiQ…", "durationSeconds": 2.4},
    {"type": "turn", "data": TURN}))


@post("/api/voice-agent/agents/{agent_id:str}/respond", status_code=200, **with_media(apex_operation(
    "apexVoiceAgentRespond", "A spoken turn with a voice agent",
    "The caller's audio (multipart `audio`, or JSON `audioUrl` fetched through the SSRF guard; at most "
    f"{MAX_CALLER_SECONDS} s of sound) or words (`text`) → Whisper hears it, the agent's text model answers "
    "(its system prompt, then the call so far, then the caller's words; greedy, one to three short sentences) "
    "and Kokoro speaks the answer in the agent's voice. Answered synchronously: `transcript`, `reply`, and "
    "`audioUrl` (WAV, signed, 24 h). Without `callId` a new call starts, its first message the agent's greeting; "
    "an unknown `callId` (or another account's) is 404, one idle for 30 minutes has ended (400). "
    "40 credits a turn by default (`[apex_credits] voice_agent_turn`): held first (402 when short), charged "
    "only when the turn succeeds, released when it fails. `?stream=true` answers NDJSON events as the turn goes: "
    "the transcript, each sentence of the answer with its audio (base64 WAV) as soon as it is spoken, then the "
    "turn's body; an error after the first line is an `error` line, charged 0. "
    "`Idempotency-Key` (not with `?stream=true`: 400): a retry with the same key and the same request answers the "
    "first answer again, byte for byte, with `Idempotent-Replayed: true`, and is not charged again; the same key "
    "with another request, or while the first still runs, is `BAD_REQUEST` (the contract's idempotency_conflict); "
    "a turn that failed (charged 0) frees its key. A turn takes one CPU slot of the compute pool jobs use; when none "
    "frees up within `[compute] voice_turn_wait_seconds` (10 s) it answers 503 `SERVICE_UNAVAILABLE` with "
    "`Retry-After`, charged 0.",
    ok=(ApexTurn, {"turn": {"data": TURN}}),
    errors=(*GENERATION_ERRORS, "invalid_media", "limit_exceeded", "unsupported_media_type", "not_found",
            "upstream_error", "idempotency_conflict"), headers=("IdempotencyKey",),
    bodies={"multipart/form-data": (RESPOND_FORM, {"audio": {"audio": "(binary: question.wav)"},
                                                   "next turn": {"audio": "(binary: next.wav)", "callId": CALL_ID}}),
            "application/json": (RespondIn, {"url": {"audioUrl": "https://media.example/question.wav"},
                                             "text": {"text": "What time does the shop open?", "callId": CALL_ID}})}),
    200, {NDJSON: ({"type": "string", "description": "With ?stream=true: one JSON object a line: transcript, each "
                                                     "sentence with its audio (base64 WAV), then the turn"},
                   {"stream": STREAM_EXAMPLE})}))
async def respond_turn(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                       agent_id: FromPath[str],
                       stream: Annotated[str | None, STREAM_PARAM] = None) -> Response[ApexTurn | bytes] | Stream:
    """Hear, answer, speak: one turn of a call, charged once, only when it succeeds."""
    window(request, svc, principal, "generation")
    require_scope(principal, "tools:run")
    if stream not in (None, "true", "false"):
        raise fail("stream", t("apex_routes.true_or_false"))
    key = request.headers.get("idempotency-key")
    if key is not None:
        idempotency.check_key(key)
        if stream == "true":
            raise fail("Idempotency-Key", t("agent_routes.not_with_stream_true"))
    svc.storage.check()
    agent = await to_thread.run_sync(store.get_agent, svc.db, agent_id, principal.account_id, principal.environment)
    turn = Turn(svc, principal, agent, "turn_" + secrets.token_hex(8), str(request.base_url).rstrip("/"))
    workdir = svc.files.work_dir(turn.id)
    reserved = False
    try:
        caller, call_id, meaning = await _caller(request, svc, principal, workdir)
        if key is not None:
            fp = idempotency.fingerprint("POST", f"/api/voice-agent/agents/{agent_id}/respond", meaning, {})
            replay = await to_thread.run_sync(turn_keys.reserve, svc, principal, key, fp, turn.id)
            if replay is not None:
                return raw_response(replay.body, replay.status_code, {**replay.headers, "Idempotent-Replayed": "true"})
            reserved = True
        await turn.begin(call_id)
        if stream == "true":
            return await streamed(turn, caller, workdir)
        # the Struct encoded once (its own JSON media type, not the stream's): the bytes a key replays
        answer: EncodedResponse[ApexTurn | bytes] = EncodedResponse(await _whole(turn, caller))
        if reserved:
            await to_thread.run_sync(turn_keys.remember, svc, principal, key, turn.id, answer.raw)
            reserved = False
        return answer
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        if reserved:  # the turn did not happen (charged 0): the key is free for a retry
            await to_thread.run_sync(turn_keys.forget, svc, principal, key, turn.id)
        if stream != "true":
            shutil.rmtree(workdir, ignore_errors=True)


async def _whole(turn: Turn, caller: Caller) -> ApexTurn:
    """The turn in one answer."""
    try:
        reply = await to_thread.run_sync(lambda: respond(turn.persona, turn.said, caller, models=turn.svc.models,
                                                         llm=turn.llm, cancel=turn.cancel))
        view = await to_thread.run_sync(turn.finish, reply.transcript, reply.text, reply.speech.samples,
                                        reply.speech.sample_rate)
    except BaseException:
        await to_thread.run_sync(turn.release)
        raise
    return ApexTurn(data=view)


# ---- calls and their audio --------------------------------------------------------------------

def _call_view(call: store.Call, found: list[store.Line]) -> CallView:
    return CallView(call_id=call.id, agent_id=call.agent_id, status="ended" if call.ended() else "active",
                    started_at=iso(call.started_at) or "", turns=sum(1 for line in found if line.role == "caller"),
                    transcript=[CallLine(role=line.role, text=line.text, at=iso(line.at) or "")  # type: ignore[arg-type]
                                for line in found])


@get("/api/voice-agent/calls", **apex_operation(
    "apexListVoiceCalls", "List voice agent calls (or one: ?id=)",
    "The account's calls, newest first (the latest 50), each with its agent, `status` (active, or ended after 30 "
    "minutes without a turn), its caller turns and the whole transcript (the greeting, then caller and agent in "
    "turn). `?id=` gives that call (another account's, or unknown: 404). Outbound phone calls are not available "
    "here (POST /api/voice-agent/calls/outbound: 503).",
    ok=(ApexCalls, {"list": {"data": [CALL]}, "one": {"data": CALL}}), errors=("validation_error", *AGENT_ERRORS)))
async def list_calls(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                     id: Annotated[str | None, text_param("A call id: that call only")] = None) -> ApexCalls:
    window(request, svc, principal, "read")
    if id is not None:
        def one() -> CallView:
            call = store.get_call(svc.db, id, principal.account_id, principal.environment)
            return _call_view(call, store.lines(svc.db, call.id))

        return ApexCalls(data=await to_thread.run_sync(one))
    found = await to_thread.run_sync(store.list_calls, svc.db, principal.account_id, principal.environment)
    return ApexCalls(data=[_call_view(call, lines) for call, lines in found])


@get("/api/voice-agent/audio/{call_id:str}/{filename:str}", **apex_operation(
    "apexVoiceAgentAudio", "A turn's reply audio",
    "The `audioUrl` of a turn: WAV, signed and expiring (24 h), so it plays without the API key. 404 once the "
    "signature expires, for a tampered one, or after the agent was deleted. Reply audio is kept for `[jobs] "
    "retention_hours` (like job outputs); after that the sweep deletes it and the URL answers 404 with "
    "`details.reason` `audio_expired` (the call's transcript stays in GET /api/voice-agent/calls).",
    ok=(Binary, {}), errors=("validation_error", "not_found", "internal_error"), auth=False, ok_media="audio/wav"))
async def reply_audio(svc: ServicesDep, call_id: FromPath[str], filename: FromPath[str],
                      expires: Annotated[str | None, text_param("unix seconds", required=True,
                                                                pattern=r"^[0-9]{1,11}$")] = None,
                      sig: Annotated[str | None, text_param("HMAC-SHA256 signature (hex)", required=True,
                                                            pattern=r"^[0-9a-f]{64}$")] = None) -> File:
    moment, signature = read_signature(expires, sig)
    if not audio.verify(svc.files.secret, call_id, filename, moment, signature):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = store.audio_dir(Path(svc.cfg.server.data_dir), call_id) / filename
    known = await to_thread.run_sync(store.has_audio, svc.db, call_id, filename)
    if "/" in filename or not known or not path.is_file():
        gone = "/" not in filename and await to_thread.run_sync(retention.expired, svc.db, call_id, filename)
        if gone:
            raise NotFound(EXPIRED, details={"reason": "audio_expired"})  # type: ignore[arg-type]
        raise NotFound(details={"reason": "file_not_found"})
    return File(path=path, filename=filename, media_type="audio/wav", content_disposition_type="inline")


HANDLERS = [create_agent, list_agents, get_agent, delete_agent, respond_turn, list_calls, reply_audio]
