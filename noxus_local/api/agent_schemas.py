"""Seed 002's voice agent bodies (``/api/voice-agent/*``) as msgspec Structs: read strictly by
``api.apex_body.read`` and published from the same Struct (camelCase members, bounds in ``Meta``).

Example::

    msgspec.convert({"name": "Lumen", "systemPrompt": "…", "greeting": "Hi!", "ttsModel": "kokoro",
                     "llmModel": "qwen2.5-coder-0.5b-instruct"}, AgentIn).tts_model   # 'kokoro'
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from noxus_local.api.apex_schemas import ApexBody, text

MAX_SYSTEM_PROMPT = 8000
AGENT_ID = "agent_3f9a0c1b7d2e4a58"
CALL_ID = "call_5c0e2a7d9b1f3e4a"


class AgentIn(ApexBody):
    """``POST /api/voice-agent/agents``: a voice agent."""

    name: Annotated[str, text(1, 100, "Agent display name")]
    system_prompt: Annotated[str, text(1, MAX_SYSTEM_PROMPT, "System prompt for the LLM: who the agent is and the "
                                                             "facts it answers with")]
    greeting: Annotated[str, text(1, 1000, "Opening greeting text: the first message of every call")]
    tts_model: Annotated[Literal["kokoro"], Meta(description="The TTS model: only kokoro runs here (the seed's "
                                                             "elevenlabs-v3 and fish-audio-s1 are 400 naming it)")]
    llm_model: Annotated[str, text(1, 100, "LLM model for conversation: a model of GET /v1/models")]
    voice_id: Annotated[str, text(1, 200, "A voice of GET /api/v1/voices or one of the account's saved "
                                          "custom_… voices (default af_heart; ef_dora for Spanish)")] | None = None
    language: Annotated[str, text(2, 12, "The language the agent speaks and hears, e.g. en, es, en-gb "
                                         "(default: the voice's)")] | None = None


class AgentView(Struct, rename="camel", kw_only=True):
    id: str
    name: str
    system_prompt: str
    greeting: str
    tts_model: str
    llm_model: str
    voice_id: str
    language: str
    created_at: str


class ApexAgent(Struct, kw_only=True):
    data: AgentView


class ApexAgents(Struct, kw_only=True):
    data: list[AgentView]


class AgentDeletedData(Struct, kw_only=True):
    id: str
    deleted: bool


class ApexAgentDeleted(Struct, kw_only=True):
    data: AgentDeletedData


class RespondIn(ApexBody):
    """``POST /api/voice-agent/agents/{id}/respond`` as JSON: the caller's audio by URL, or the words."""

    audio_url: Annotated[str, text(8, 2048, "The caller's audio (any format ffmpeg reads), fetched through the "
                                            "SSRF guard")] | None = None
    text: Annotated[str, text(1, 2000, "The caller's words, instead of audio")] | None = None
    call_id: Annotated[str, text(1, 100, "Continue this call; absent: a new call, opened by the agent's "
                                         "greeting")] | None = None


RESPOND_FORM = {"type": "object", "properties": {
    "audio": {"type": "string", "format": "binary",
              "description": "The caller's audio: WAV, MP3, OGG, M4A, WebM … (the tier's upload limit, at most "
                             "60 seconds of sound)"},
    "text": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "The caller's words, instead "
                                                                                  "of audio"},
    "callId": {"type": "string", "minLength": 1, "maxLength": 100,
               "description": "Continue this call; absent: a new call"}}}


class TurnView(Struct, rename="camel", kw_only=True):
    call_id: str
    turn: Annotated[int, Meta(description="The caller's turn number in the call: 1, 2, …")]
    transcript: Annotated[str, Meta(description="What the caller said (recognised by Whisper)")]
    reply: Annotated[str, Meta(description="The agent's answer")]
    audio_url: Annotated[str, Meta(description="The answer spoken (WAV), signed, valid 24 h")]
    duration_seconds: float
    credits_charged: int


class ApexTurn(Struct, kw_only=True):
    data: TurnView


class CallLine(Struct, kw_only=True):
    role: Literal["agent", "caller"]
    text: str
    at: str


class CallView(Struct, rename="camel", kw_only=True):
    call_id: str
    agent_id: str
    status: Literal["active", "ended"]
    started_at: str
    turns: Annotated[int, Meta(description="The caller's turns so far")]
    transcript: list[CallLine]


class ApexCalls(Struct, kw_only=True):
    """``GET /api/voice-agent/calls``: one call with ``?id=``, else the latest 50."""

    data: CallView | list[CallView]
