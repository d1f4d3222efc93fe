"""OpenAI's request and response shapes as msgspec Structs: what the /v1 routes read, answer and publish.

One type per shape, named as the published document names it (``OpenAiError``,
``ChatCompletionRequest``, ``ChatCompletion``, ``ModelList``, ``SpeechRequest``,
``OpenAIVoices``, ``OpenAiTranscription``, ``OpenAiJobAccepted``). The request
Structs do not forbid unknown members: OpenAI's API takes many more
(``frequency_penalty``, ``user``, ``instructions`` ...) and its clients send them;
they are ignored, as before. Bounds the tool checks with its own words and field
names (``max_tokens`` ≥ 1, ``temperature`` 0-2, ``input`` length, a message's
``role``) are published with ``extra_json_schema`` rather than enforced twice, so
the refusal a client gets is the tool's, unchanged.

Example::

    read_struct(b'{"model": null, "messages": [{"role": "user", "content": "Hola"}]}', ChatCompletionRequest)
    # ChatCompletionRequest(messages=[ChatMessage(role='user', content='Hola')], model=None, ...)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.openapi_spec import ERROR_SAMPLES, JOB
from noxus_local.errors import ERRORS_BY_CODE, NoxusError

CHAT_MODEL = "qwen2.5-coder-1.5b-instruct"
ROLES = ["system", "user", "assistant"]
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


def _doc(description: str | None = None, **schema: Any) -> Meta:
    """Published only: a bound or enum the tool enforces in its own words (see the module docstring)."""
    return Meta(description=description, extra_json_schema=schema or None)


# --- errors: OpenAI's body, {"error": {"message", "type", "code", "param"}} ---

class OpenAiErrorDetail(Struct, kw_only=True):
    message: Annotated[str, Meta(description="A sentence in the server's locale; a field error names the field")]
    type: Literal["invalid_request_error", "server_error"]
    code: Annotated[str, Meta(description="Our stable error code (errors.py), e.g. validation_error")]
    param: Annotated[str | None, Meta(description="The field refused, if one was")]


class OpenAiError(Struct, kw_only=True):
    """OpenAI's error body: what its clients parse into ``openai.BadRequestError`` and the like."""

    error: OpenAiErrorDetail


def error_examples(codes: tuple[str, ...], render: Any) -> dict[str, Any]:
    """One example body per code, rendered by the route's own renderer (``render(exc, "en")``) from the
    contract's sample details: the published example is the real thing, not a copy."""
    out = {}
    for code in codes:
        sample = ERROR_SAMPLES.get(code, {})
        exc: NoxusError = ERRORS_BY_CODE[code](sample.get("message"), details=sample.get("details"),
                                               extra=sample.get("extra"))
        out[code] = render(exc, "en")
    return out


# --- /v1/audio/transcriptions and /v1/audio/translations ---

class TranscriptionSegment(Struct, kw_only=True):
    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


class TranscriptionWord(Struct, kw_only=True):
    word: str
    start: float
    end: float


class OpenAiTranscription(Struct, kw_only=True):
    """``response_format=json``: ``{"text"}``; ``verbose_json`` adds the task, language, duration,
    segments and words."""

    task: Literal["transcribe", "translate"] | UnsetType = UNSET
    language: str | None | UnsetType = UNSET
    duration: float | None | UnsetType = UNSET
    text: str
    segments: list[TranscriptionSegment] | UnsetType = UNSET
    words: list[TranscriptionWord] | UnsetType = UNSET


class OpenAiJobAccepted(Struct, kw_only=True):
    """Still running after the server's wait: the job goes on, poll ``location``."""

    id: str
    object: Literal["job"]
    status: str
    location: str


TRANSCRIPTION_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "Audio or video with an audio stream"},
        "file_asset_id": {"type": "string", "description": "The file as an assetId from POST /api/v1/assets"},
        "file_url": {"type": "string", "format": "uri",
                     "description": "The file as an http(s) URL the server downloads (SSRF-checked)"},
        "model": {"type": "string", "description": "whisper-1 (= the default model) or an installed whisper "
                                                   "model id, e.g. whisper-base"},
        "language": {"type": "string", "description": "ISO-639-1 code; absent = detected"},
        "prompt": {"type": "string", "description": "Accepted, not used"},
        "temperature": {"type": "number", "description": "Accepted, not used"},
        "response_format": {"type": "string", "enum": list(TRANSCRIPTION_FORMATS), "default": "json",
                            "description": "json and verbose_json answer application/json; text, srt and vtt "
                                           "answer text/plain"},
        "timestamp_granularities[]": {"type": "array", "items": {"type": "string", "enum": ["word", "segment"]}}},
    "anyOf": [{"required": [way]} for way in ("file", "file_asset_id", "file_url")]}
TRANSCRIPTION_JSON = {"text": "Hola a todos."}
TRANSCRIPTION_VERBOSE = {
    "task": "transcribe", "language": "es", "duration": 4.0, "text": "Hola a todos.",
    "segments": [{"id": 0, "seek": 0, "start": 0.4, "end": 1.6, "text": "Hola a todos.", "tokens": [],
                  "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 0.0, "no_speech_prob": 0.0}],
    "words": [{"word": "Hola", "start": 0.4, "end": 0.7}]}
TRANSCRIPTION_TEXT = {"text": "Hola a todos.\n",
                      "srt": "1\n00:00:00,400 --> 00:00:01,600\nHola a todos.\n",
                      "vtt": "WEBVTT\n\n00:00:00.400 --> 00:00:01.600\nHola a todos.\n"}
JOB_ACCEPTED = {"id": JOB, "object": "job", "status": "running", "location": f"/api/v1/jobs/{JOB}"}


# --- /v1/audio/speech and /v1/audio/voices ---

class SpeechRequest(Struct, kw_only=True):
    """What ``client.audio.speech.create`` sends; null is "the default" for every member but ``input``."""

    model: Annotated[str | None, Meta(description="Any; kokoro-82m speaks")] = None
    input: Annotated[str, _doc("1-10,000 characters; more is 413 limit_exceeded (max_text_chars)",
                               minLength=1, maxLength=10_000)]
    voice: Annotated[str | None, Meta(description="A voice_id, or an OpenAI voice name (alloy → af_alloy …); "
                                                  "default af_heart")] = None
    response_format: Annotated[Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None, Meta(
        description="The audio's format and media type; default mp3")] = None
    speed: Annotated[float | None, _doc("Default 1.0", minimum=0.5, maximum=2.0)] = None


SPEECH_EXAMPLE = {"model": "kokoro-82m", "voice": "ef_dora", "input": "Hola."}


class OpenAIVoice(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["ef_dora"])]
    name: str
    language: str
    gender: str


class OpenAIVoices(Struct, kw_only=True):
    """Every Kokoro voice and the OpenAI voice names mapped onto them (``aliases``)."""

    object: Literal["list"]
    voices: list[OpenAIVoice]
    aliases: dict[str, str]


VOICES_EXAMPLE = {"object": "list", "voices": [{"id": "ef_dora", "name": "Dora", "language": "es",
                                                "gender": "female"}], "aliases": {"alloy": "af_alloy"}}


# --- /v1/chat/completions and /v1/models ---

class TextPart(Struct, kw_only=True):
    type: Literal["text"]
    text: str


class ChatMessage(Struct, kw_only=True):
    role: Annotated[str, _doc(None, enum=ROLES)]
    content: Annotated[str | list[TextPart], Meta(description="A text, or OpenAI's text parts (joined)")]


class ResponseFormat(Struct, kw_only=True):
    type: Annotated[str, _doc(None, enum=["text", "json_object"])]


class StreamOptions(Struct, kw_only=True):
    include_usage: bool | None = None


class ChatCompletionRequest(Struct, kw_only=True):
    """What ``client.chat.completions.create`` sends; null is "the default" for every member but ``messages``."""

    model: Annotated[str | None, Meta(
        description="A model of GET /v1/models (the configured one when absent or null)")] = None
    messages: Annotated[list[ChatMessage], _doc(None, minItems=1)]
    max_tokens: Annotated[int | None, _doc("Most tokens generated; prompt + max_tokens must fit the context",
                                           minimum=1)] = None
    max_completion_tokens: Annotated[int | None, _doc("Wins over max_tokens", minimum=1)] = None
    temperature: Annotated[float | None, _doc("Default 1", minimum=0, maximum=2)] = None
    top_p: Annotated[float | None, _doc("Default 1", exclusiveMinimum=0, maximum=1)] = None
    seed: int | None = None
    stop: Annotated[str | list[str] | None, _doc("A string or up to 4 strings that end the answer")] = None
    n: Annotated[int | None, _doc("Only 1 is supported", minimum=1, maximum=1)] = None
    response_format: ResponseFormat | None = None
    stream: Annotated[bool | None, Meta(description="Server-sent events instead of one answer; default false")] = None
    stream_options: StreamOptions | None = None


class ChatAnswer(Struct, kw_only=True, forbid_unknown_fields=True):
    role: Literal["assistant"]
    content: str
    refusal: None


class ChatChoice(Struct, kw_only=True, forbid_unknown_fields=True):
    index: int
    message: ChatAnswer
    logprobs: None
    finish_reason: Literal["stop", "length"]


class ChatUsage(Struct, kw_only=True, forbid_unknown_fields=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(Struct, kw_only=True, forbid_unknown_fields=True):
    """A whole answer (``stream`` false): the id is the job's, ``chatcmpl-job_…``."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    system_fingerprint: None
    choices: list[ChatChoice]
    usage: ChatUsage


class Model(Struct, kw_only=True):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Struct, kw_only=True):
    object: Literal["list"]
    data: list[Model]


CHAT_EXAMPLE = {"id": f"chatcmpl-{JOB}", "object": "chat.completion", "created": 1796563121, "model": CHAT_MODEL,
                "system_fingerprint": None,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you "
                                                     "today?", "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 31, "completion_tokens": 10, "total_tokens": 41}}
CHAT_STREAM_EXAMPLE = ('data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": '
                       '{"content": "Hello"}}]}\n\ndata: [DONE]\n\n')
CHAT_REQUESTS = {"openai": {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Say hi"}],
                            "max_tokens": 16, "temperature": 0},
                 "stream": {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Say hi"}],
                            "stream": True, "stream_options": {"include_usage": True}}}
MODELS_EXAMPLE = {"object": "list", "data": [{"id": CHAT_MODEL, "object": "model", "created": 0,
                                              "owned_by": "noxus-local"}]}
