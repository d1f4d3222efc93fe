"""timeline.json: an exact round trip, and a load that refuses what a client must not send (issue 20)."""

import json

import pytest

from noxus_local.compose.timeline import (
    Captions,
    KenBurns,
    Logo,
    Music,
    Scene,
    Timeline,
    Transition,
    Visual,
    from_dict,
    load,
    save,
    to_dict,
)
from noxus_local.errors import ValidationError
from noxus_local.speech.types import Word

HOSTILE = "[0:v];'\\: {\\pos(0,0)} %{pts} 🎬 שלום " + "a" * 300


@pytest.fixture
def root(tmp_path):
    for name in ("a.png", "b.mp4", "song.opus", "logo.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.jpg").write_bytes(b"x")
    return tmp_path


def timeline(root):
    words = (Word("Hola", 0.1, 0.4, 1.0), Word("mundo.", 0.5, 0.9, 1.0))
    return Timeline(360, 640, 25, (
        Scene(0, "Hola mundo.", 0.0, 1.5, Visual("material", root / "a.png", KenBurns(1.0, 1.2, 0.4, 0.5, 0.6, 0.5)),
              words),
        Scene(1, HOSTILE, 1.5, 3.25, Visual("material", root / "b.mp4", trim_start=0.5)),
        Scene(2, "¡Canción rápida: año, pingüino!", 3.25, 5.0, Visual("designed", palette=("#112233", "#AABBCC"),
                                                                     text="año")),
        Scene(3, "Generada.", 5.0, 6.0, Visual("generated", root / "sub" / "c.jpg"))),
        narration=root / "b.mp4", captions=Captions("word_pop", {"position": "top_center"}),
        music=Music(root / "song.opus", 0.2, True, 0.5, 1.5), logo=Logo(root / "logo.png", "bottom_left", 0.5, 0.2),
        transition=Transition("slide", 0.4), loudness=-14.0)


def test_the_json_form_round_trips_exactly_through_a_file(root):
    tl = timeline(root)
    path = save(tl, root / "timeline.json", root)
    data = json.loads(path.read_text("utf-8"))
    assert data["scenes"][2]["visual"]["source"] is None and data["scenes"][3]["visual"]["source"] == "sub/c.jpg"
    assert data["scenes"][1]["text"] == HOSTILE  # data, kept as it came
    assert load(path, root) == tl
    assert to_dict(from_dict(data, root), root) == data


def test_defaults_fill_what_a_client_leaves_out(root):
    tl = from_dict({"width": 720, "height": 1280, "fps": 30,
                    "scenes": [{"text": "x", "start": 0, "end": 2, "visual": {"kind": "designed"}}]}, root)
    assert (tl.transition, tl.loudness, tl.music, tl.duration) == (Transition("fade", 0.5), -16.0, None, 2)


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["scenes"][0]["visual"].update(source="../outside.png"), "scenes[0].visual.source"),
    (lambda d: d["scenes"][0]["visual"].update(source="/etc/passwd"), "scenes[0].visual.source"),
    (lambda d: d["scenes"][0]["visual"].update(source="missing.png"), "scenes[0].visual.source"),
    (lambda d: d["music"].update(source="sub/../../x.opus"), "music.source"),
    (lambda d: d["scenes"][0]["visual"].update(kind="stock"), "scenes[0].visual.kind"),
    (lambda d: d["scenes"][1]["visual"].update(source=None), "scenes[1].visual.source"),
    (lambda d: d["transition"].update(kind="wipe"), "transition.kind"),
    (lambda d: d.update(width=361), "width"),
    (lambda d: d.update(fps=0), "fps"),
    (lambda d: d["scenes"][1].update(start=1.6), "scenes[1].start"),
    (lambda d: d["scenes"][0].update(end=0.0), "scenes[0].end"),
    (lambda d: d["scenes"][2]["visual"].update(palette=["red"]), "scenes[2].visual.palette"),
    (lambda d: d.update(scenes=[]), "scenes"),
    (lambda d: d["captions"].update(style="comic_sans"), "captions.style"),
    (lambda d: d["captions"]["options"].update(position="under"), "captions.position"),
    (lambda d: d["music"].update(volume=float("nan")), "music.volume"),
])
def test_a_bad_timeline_is_a_400_naming_its_field(root, change, field):
    data = to_dict(timeline(root), root)
    change(data)
    with pytest.raises(ValidationError) as err:
        from_dict(data, root)
    assert err.value.details["field"] == field


def test_a_link_out_of_the_root_is_refused(root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.png"
    outside.write_bytes(b"x")
    (root / "link.png").symlink_to(outside)
    data = to_dict(timeline(root), root)
    data["scenes"][0]["visual"]["source"] = "link.png"
    with pytest.raises(ValidationError, match="outside"):
        from_dict(data, root)


def test_a_bundled_track_is_named_by_id_not_by_a_path_outside_the_root(root, tmp_path_factory):
    from noxus_local.compose.music import MusicLibrary

    shelf = tmp_path_factory.mktemp("library")
    (shelf / "calm_acoustic_1.opus").write_bytes(b"x")
    library = MusicLibrary(shelf)
    tl = Timeline(360, 640, 25, timeline(root).scenes,
                  music=Music(shelf / "calm_acoustic_1.opus", 0.3, track="calm_acoustic_1"))
    data = to_dict(tl, root)
    assert data["music"]["track"] == "calm_acoustic_1" and "source" not in data["music"]
    assert from_dict(data, root, library) == tl
    data["music"]["track"] = "nope"
    with pytest.raises(ValidationError):
        from_dict(data, root, library)
    with pytest.raises(ValidationError, match="no music library"):
        from_dict(data, root)
