"""Seed 002's request bodies as Structs (api/apex_schemas.py, api/apex_body.py): the seed's member names and
bounds are what is read and what is published, and a refused member is named with what it takes."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from noxus_local.api.apex_body import read
from noxus_local.api.apex_schemas import (
    ApexClipIn,
    ApexCommercialIn,
    ApexImageIn,
    ApexInstantAdIn,
    ApexKeyIn,
    ApexPhotoshootIn,
    ApexSettingsIn,
    ApexTranslateIn,
    ApexVoiceIn,
)
from noxus_local.errors import ValidationError
from noxus_local.jobs import apex

# the members seed 002 lists per route (required first); photoshoot's angle, lighting and count have defaults here
SEED_MEMBERS: dict[type, tuple[set[str], set[str]]] = {
    ApexVoiceIn: ({"text"}, {"voiceId", "speed", "language", "model"}),
    ApexClipIn: ({"sourceVideoUrl"}, {"maxClips", "minDuration", "maxDuration", "addCaptions", "aspectRatio",
                                      "viralScoreThreshold"}),
    ApexImageIn: ({"prompt"}, {"width", "height", "steps", "seed", "style", "model", "negativePrompt"}),
    ApexPhotoshootIn: ({"productImage", "background"}, {"angle", "lighting", "count", "customBackground", "model"}),
    ApexTranslateIn: ({"videoUrl", "outputLanguage"}, {"preserveOriginalVoice"}),
    ApexInstantAdIn: ({"websiteUrl", "platform", "count", "style"}, {"outputFormat", "brandProfileId"}),
    ApexCommercialIn: ({"product", "platform", "duration", "tone", "productImages"},
                       {"targetAudience", "spokespersonImage", "voiceId", "voiceModel", "musicMood", "videoModel"}),
    ApexKeyIn: ({"name"}, set()),
    ApexSettingsIn: ({"webhookUrl"}, set()),
}


@pytest.mark.parametrize("model", list(SEED_MEMBERS), ids=lambda m: m.__name__)
def test_the_published_schema_has_the_seeds_members(model: type) -> None:
    (schema,), components = msgspec.json.schema_components([model])
    body = components[model.__name__]
    required, optional = SEED_MEMBERS[model]
    assert set(body["required"]) == required
    assert set(body["properties"]) == required | optional


def refused(raw: bytes, model: type) -> dict[str, Any]:
    with pytest.raises(ValidationError) as err:
        read(raw, model)
    status, body = apex.error_body(err.value, "en")
    assert status == 400 and body["code"] == "BAD_REQUEST"
    return body


def test_a_refused_member_is_named_with_what_it_takes() -> None:
    assert "(model: one of: kokoro)" in refused(b'{"text": "hi", "model": "elevenlabs-v3"}', ApexVoiceIn)["error"]
    assert "(speed: a number from 0.5 to 2)" in refused(b'{"text": "hi", "speed": 2.5}', ApexVoiceIn)["error"]
    assert "(text: required: a string of 1-10,000 characters)" in refused(b'{"speed": 1}', ApexVoiceIn)["error"]
    assert "(width: a whole number from 256 to 2048)" in refused(b'{"prompt": "x", "width": 100}', ApexImageIn)["error"]
    assert "(duration: one of: 15, 30, 60)" in refused(
        b'{"product": "x", "platform": "tv", "duration": 20, "tone": "casual", "productImages": ["https://a.b/c"]}',
        ApexCommercialIn)["error"]
    assert "productImages: a list of 1-10 items" in refused(
        b'{"product": "x", "platform": "tv", "duration": 15, "tone": "casual", "productImages": []}',
        ApexCommercialIn)["error"]
    assert "(webhookUrl: required: a string of 8-2,048 characters, or null)" in refused(b"{}", ApexSettingsIn)["error"]


def test_reading_is_strict_about_types_but_ignores_members_the_seed_does_not_define() -> None:
    assert "addCaptions: true or false" in refused(
        b'{"sourceVideoUrl": "https://a.b/c.mp4", "addCaptions": "yes"}', ApexClipIn)["error"]
    assert "count: a whole number" in refused(
        b'{"websiteUrl": "https://a.b/p", "platform": "tiktok", "count": "2", "style": "bold"}',
        ApexInstantAdIn)["error"]
    assert "speed" in refused(b'{"text": "hi", "speed": true}', ApexVoiceIn)["error"]
    assert "JSON object" in refused(b"[1]", ApexVoiceIn)["error"]
    body = read(b'{"text": "hi", "voiceId": null, "webhookUrl": "https://x.example"}', ApexVoiceIn)
    assert (body.text, body.voice_id, body.speed) == ("hi", None, None)
    assert read(b'{"webhookUrl": null}', ApexSettingsIn).webhook_url is None


def test_the_published_choices_keep_the_seeds_order() -> None:
    from noxus_local.api import apex_routes  # noqa: F401 - its decorators declare the bodies
    from noxus_local.api.openapi import body_components

    bodies = body_components()
    assert bodies["ApexInstantAdIn"]["properties"]["platform"]["enum"] == \
        ["tiktok", "youtube", "instagram", "facebook", "linkedin"]  # msgspec alone sorts them
    angle = bodies["ApexPhotoshootIn"]["properties"]["angle"]["anyOf"][0]
    assert angle["enum"][:2] == ["front", "hero"]
