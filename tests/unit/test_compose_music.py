"""The bundled music: 28 MIT tracks by mood, fetched by the registry, picked the same way every time."""

import pytest

from noxus_local.compose.music import MODEL_ID, MusicLibrary
from noxus_local.config import load_config
from noxus_local.errors import ValidationError
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("music") / "data")})
    ModelRegistry.from_config(cfg).fetch([MODEL_ID])
    return MusicLibrary(models_dir(cfg) / MODEL_ID)


def test_the_library_lists_every_track_with_its_mood_and_length(library):
    assert library.moods() == ("calm", "energetic", "happy", "nostalgic", "tender")
    assert len(library.tracks) == 28 and len(library.by_mood("happy")) == 6
    first = library.tracks[0].as_dict()
    assert first["id"] == "calm_acoustic_1" and first["mood"] == "calm" and 25 < first["duration"] < 40
    assert (library.folder / "LICENSE-MUSIC").is_file()


def test_a_mood_picks_the_same_track_for_the_same_seed(library):
    picks = {library.pick("tender", "¡Hola, mundo!").id for _ in range(3)}
    assert len(picks) == 1 and picks.pop().startswith("tender_")
    assert len({library.pick("happy", f"script {n}").id for n in range(20)}) > 1  # seeds spread over the mood


def test_an_unknown_mood_or_track_lists_the_choices(library):
    with pytest.raises(ValidationError) as err:
        library.pick("sad")
    assert err.value.details["allowed"] == list(library.moods())
    with pytest.raises(ValidationError):
        library.get("nope")
    assert library.get("calm_acoustic_1").mood == "calm"
