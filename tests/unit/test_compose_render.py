"""A real composed video, judged by independent decoders (issue 20 items 3, 4 and Evidence).

Three scenes (a still moving on its Ken Burns path, a 1.2 s video looped to its
scene, a designed scene in Spanish), Kokoro's Spanish narration with captions
cut from its own word timings, the bundled music ducked, fade transitions. Then
PyAV reads size, rate, length and pixels; our Whisper hears the narration back;
the audio's level is measured in windows against the narration's timings.
"""

import re
import wave
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from noxus_local.compose import Captions, Logo, Music, MusicLibrary, Scene, Timeline, Transition, Visual, render
from noxus_local.compose.graph import build
from noxus_local.compose.music import MODEL_ID
from noxus_local.compose.render import command
from noxus_local.config import load_config
from noxus_local.errors import JobCancelled
from noxus_local.inference.models.kokoro import SAMPLE_RATE, Kokoro, load_voice
from noxus_local.inference.models.whisper import WhisperModel
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.media.audio import extract_pcm16k
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.fonts import prepare_fonts
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.asr import transcribe
from noxus_local.speech.tts import Voice, speak
from noxus_local.speech.wer import wer

W, H, FPS, PAD = 360, 640, 25, 0.6
TEXTS = ("Las montañas guardan el silencio del invierno.", "El río baja rápido hacia el pueblo.",
         "¡Canción rápida: año, pingüino!")


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("compose") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-ef-dora", "whisper-base", "silero-vad",
                                          MODEL_ID])
    return cfg


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The job's files: a still with no pure white, a 1.2 s video, nothing else."""
    root = tmp_path_factory.mktemp("inputs")
    y, x = np.mgrid[0:600, 0:800]
    still = np.stack([(x * 200 // 800), (y * 180 // 600), 60 + 80 * ((x // 100 + y // 100) % 2)], -1)
    from PIL import Image
    Image.fromarray(still.astype(np.uint8)).save(root / "still.png")
    run_ffmpeg(["-f", "lavfi", "-i", "mandelbrot=s=320x240:r=25", "-t", "1.2",
                "-vf", "lutrgb=r=val*0.7:g=val*0.7:b=val*0.7",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", str(root / "clip.mp4")], CancelToken())
    return root


@pytest.fixture(scope="module")
def speech(cfg, root):
    voice = Voice(Kokoro.from_config(cfg), load_voice(models_dir(cfg), "ef_dora"), "es")
    spoken = speak(" [pause:1.2] ".join(TEXTS), voice, cancel=CancelToken())
    with wave.open(str(root / "narration.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(SAMPLE_RATE)
        w.writeframes(np.clip(np.rint(spoken.samples * 32767), -32768, 32767).astype("<i2").tobytes())
    return spoken


def scenes_for(speech, visuals):
    """One scene per sentence, cut half-way through the pauses; the last ends PAD after the voice."""
    sents = speech.sentences
    cuts = [0.0] + [round((a.end + b.start) / 2, 3) for a, b in zip(sents, sents[1:], strict=False)]
    cuts.append(round(speech.duration + PAD, 3))
    return tuple(Scene(i, s.text, cuts[i], cuts[i + 1], visuals[i],
                       tuple(w for w in speech.words if cuts[i] <= w.start < cuts[i + 1]))
                 for i, s in enumerate(sents))


@pytest.fixture(scope="module")
def rendered(cfg, root, speech, tmp_path_factory):
    work = tmp_path_factory.mktemp("render")
    track = MusicLibrary(models_dir(cfg) / MODEL_ID).pick("calm", "".join(TEXTS))
    visuals = (Visual("material", root / "still.png"), Visual("material", root / "clip.mp4"), Visual("designed"))
    tl = Timeline(W, H, FPS, scenes_for(speech, visuals), narration=root / "narration.wav",
                  captions=Captions("classic"), music=Music(track.path, volume=0.35),
                  transition=Transition("fade", 0.4))
    seen = []
    out = render(tl, work / "out.mp4", workdir=work / "work", cancel=CancelToken(), progress=seen.append)
    return tl, out, work, seen


def frames_at(path: Path, times):
    """RGB arrays of the frames shown at ``times`` (decoded with PyAV)."""
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return [frames[min(len(frames) - 1, int(t * FPS))] for t in times]


def test_size_rate_and_length_are_exact(rendered, speech):
    tl, out, _, seen = rendered
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        n = sum(1 for _ in c.decode(video=0))
        assert (v.codec_context.name, v.width, v.height, v.average_rate) == ("h264", W, H, FPS)
        assert (a.codec_context.name, a.rate) == ("aac", 48000)
    assert abs(n / FPS - (speech.duration + PAD)) <= 2 / FPS
    assert out.read_bytes()[4:8] == b"ftyp" and out.read_bytes().find(b"moov") < out.read_bytes().find(b"mdat")
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_the_narration_is_heard_back(cfg, rendered, tmp_path):
    _, out, _, _ = rendered
    model = WhisperModel.from_config(cfg)
    model.load()
    heard = transcribe(extract_pcm16k(out, tmp_path / "a.wav", cancel=CancelToken()), model=model, language="es")
    error = wer(" ".join(TEXTS), heard.text)
    print("WER", error, heard.text)
    assert error <= 0.1


def decoded_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().mean(axis=0) for f in c.decode(audio=0)]
    return np.concatenate(chunks)


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-9)


def test_music_plays_between_sentences_and_drops_under_the_voice(rendered, speech):
    _, out, _, _ = rendered
    audio, rate = decoded_audio(out), 48000
    win = lambda a, b: audio[int(a * rate):int(b * rate)]  # noqa: E731
    gaps = [db(win(a.end + 0.45, b.start - 0.1)) for a, b in zip(speech.sentences, speech.sentences[1:], strict=False)]
    speaking = [db(win(s.start + 0.2, s.end - 0.2)) for s in speech.sentences]
    print("gaps", gaps, "speaking", speaking)
    assert all(-45 < g for g in gaps)              # the music is there, back up, between sentences
    assert all(s - g > 6 for s, g in zip(speaking, gaps, strict=False))  # the voice stands well above it


def white(frame: np.ndarray, top: float, bottom: float) -> int:
    band = frame[int(top * H):int(bottom * H)]
    return int(np.sum(np.all(band > 235, axis=-1)))


def test_the_captions_change_in_step_with_the_words(rendered, speech):
    tl, _, work, _ = rendered
    from noxus_local.captions.cues import CueRules, cues_from_words, default_max_chars
    cues = cues_from_words(tl.words, CueRules(max_chars_per_line=default_max_chars(W, H), fps=FPS))
    gaps = [(a.end + b.start) / 2 for a, b in zip(speech.sentences, speech.sentences[1:], strict=False)]
    shown = frames_at(rendered[1], [(c.start + c.end) / 2 for c in cues])
    hidden = frames_at(rendered[1], gaps)
    assert all(white(f, 0.72, 0.98) > 150 for f in shown), [white(f, 0.72, 0.98) for f in shown]
    assert all(white(f, 0.72, 0.98) < 20 for f in hidden)
    bands = [f[int(0.72 * H):].astype(int) for f in shown]
    assert all(np.abs(a - b).mean() > 2 for a, b in zip(bands, bands[1:], strict=False))
    assert "Dialogue" in (work / "work" / "captions.ass").read_text("utf-8")


def thumb(img: np.ndarray) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.fromarray(img[: int(0.7 * img.shape[0])]).resize((9, 12)), dtype=float)


def cover(img: np.ndarray) -> np.ndarray:
    """The source scaled to cover the frame and cropped in the middle: what the scene starts from."""
    from PIL import Image
    h, w = img.shape[:2]
    scale = max(W / w, H / h)
    im = Image.fromarray(img).resize((round(w * scale), round(h * scale)))
    left, top = (im.width - W) // 2, (im.height - H) // 2
    return np.asarray(im.crop((left, top, left + W, top + H)))


def test_each_material_appears_in_its_scene(rendered, root):
    tl, out, _, _ = rendered
    from PIL import Image
    still = np.asarray(Image.open(root / "still.png").convert("RGB"))
    with av.open(str(root / "clip.mp4")) as c:
        clip = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    s0, s1 = tl.scenes[0], tl.scenes[1]
    t1 = s1.start + 1.5  # past the fade, and past the clip's 1.2 s: it has looped
    got0, got1 = frames_at(out, [s0.start + 0.5, t1])
    looped = clip[int(((t1 - s1.start) % 1.2) * 25) % len(clip)]
    own0, own1 = np.abs(thumb(got0) - thumb(cover(still))).mean(), np.abs(thumb(got1) - thumb(cover(looped))).mean()
    other0, other1 = np.abs(thumb(got0) - thumb(cover(looped))).mean(), np.abs(thumb(got1) - thumb(cover(still))).mean()
    print("own", own0, own1, "other", other0, other1)
    assert own0 < 20 and own1 < 20 and own0 < other0 / 2 and own1 < other1 / 2
    assert s1.duration > 1.2


def test_the_designed_scene_is_full_and_moves(rendered):
    tl, out, work, _ = rendered
    s2 = tl.scenes[2]
    a, b = frames_at(out, [s2.start + 0.8, s2.start + 1.8])
    assert a.std() > 20                                 # a colour field, not one flat colour
    assert white(a, 0.2, 0.7) > 400                     # the words, in white, mid-frame
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1  # it moves
    assert "PINGÜINO" in (work / "work" / "scene2.txt").read_text("utf-8").upper()


HOSTILE = "[0:v];'\\: {\\pos(0,0)} %{pts} 🎬 שלום עולם " + "ñ" * 300
HOSTILE_LATIN = "[0:v];'\\: {\\pos(0,0)} %{pts} " + "ñ" * 300  # all in Anton: the drawtext path


def test_hostile_text_renders_literally_and_never_reaches_the_graph(tmp_path):
    from noxus_local.speech.types import Word
    words = tuple(Word(w, 0.1 + 0.3 * i, 0.35 + 0.3 * i, 1.0) for i, w in enumerate(HOSTILE.split()))
    tl = Timeline(180, 320, 10, (Scene(0, HOSTILE, 0.0, 1.0, Visual("designed"), words[:4]),
                                 Scene(1, HOSTILE, 1.0, 2.5, Visual("designed", text=HOSTILE_LATIN), words[4:])),
                  captions=Captions("classic"), transition=Transition("slide", 0.3),
                  logo=Logo(red_logo(tmp_path), "top_left", 1.0, 0.3))
    out = render(tl, tmp_path / "out.mp4", workdir=tmp_path / "w", cancel=CancelToken())
    graph = (tmp_path / "w" / "graph.txt").read_text("utf-8")
    (tmp_path / "p").mkdir()
    args = " ".join(command([], tmp_path / "w" / "graph.txt", out, tl))
    for piece in ("[0:v];'", "\\pos", "%{pts}", "שלום", "ñññ", "🎬"):
        assert piece not in graph and piece not in args
    assert (tmp_path / "w" / "scene1.txt").read_text("utf-8").replace("\n", "").replace(" ", "") \
        == HOSTILE_LATIN.replace(" ", "")                                   # every character, in pieces that fit
    assert (tmp_path / "w" / "scene0-text.png").is_file()  # Hebrew and emoji: set by Pillow, overlaid as a picture
    ass = (tmp_path / "w" / "captions.ass").read_text("utf-8")
    dialogue = [line for line in ass.splitlines() if line.startswith("Dialogue:")]
    assert "\\{\\\u200bpos(0,0)\\}" in ass and "שלום" in ass             # escaped: shown, never a tag
    assert not any(re.search(r"(?<!\\)[{}]", line) for line in dialogue)  # no override block in the events
    simple = ("ש", "x")  # the same paths as the hostile texts: a picture for scene 0, drawtext for scene 1
    plain = build(replace(tl, scenes=tuple(replace(s, text=simple[s.index], visual=Visual("designed"), words=())
                                           for s in tl.scenes)), tmp_path / "p",
                  prepare_fonts(tmp_path / "w" / "fonts"), tmp_path / "w" / "captions.ass", None).script
    labels = re.compile(r"\[\w+\]|\b[a-z_]+=")
    graph = graph.replace(str(tmp_path / "w" / "scene"), str(tmp_path / "p" / "scene"))
    assert labels.findall(graph) == labels.findall(plain)  # the same graph as plain text's
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 25
    r, g, b = frames[12][10:18, 10:30].reshape(-1, 3).mean(axis=0)   # the logo, 7 px in from the corner
    assert r > 200 and g < 60 and b < 60


def red_logo(folder: Path) -> Path:
    from PIL import Image
    Image.new("RGBA", (100, 50), (255, 0, 0, 255)).save(folder / "logo.png")
    return folder / "logo.png"


def test_a_large_jpeg_is_a_still_and_a_video_is_not(root, tmp_path):
    from PIL import Image

    from noxus_local.compose.filters import is_still
    noisy = np.random.default_rng(1).normal(100, 12, (1200, 1600, 3)).clip(0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(tmp_path / "photo.jpg", quality=90)   # image2 demuxer, 0.04 s "long"
    assert is_still(tmp_path / "photo.jpg") and is_still(root / "still.png") and not is_still(root / "clip.mp4")


def test_cancel_stops_ffmpeg(root, tmp_path):
    token = CancelToken()
    tl = Timeline(360, 640, 25, (Scene(0, "x", 0.0, 30.0, Visual("material", root / "clip.mp4")),))
    with pytest.raises(JobCancelled):
        render(tl, tmp_path / "out.mp4", workdir=tmp_path / "w", cancel=token, progress=lambda f: token.cancel())


def test_the_music_is_ducked_10_db_under_the_voice(root, speech, tmp_path):
    """The music is a 55 Hz tone here, so its level can be read apart from the voice (which has almost
    nothing below 80 Hz) in the same decoded mix: band 50-60 Hz is the music, above 80 Hz the voice."""
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=55:sample_rate=48000:d=5", "-af", "volume=0.5",
                str(tmp_path / "tone.wav")], CancelToken())
    (tmp_path / "in").mkdir()
    tl = Timeline(64, 64, 10, scenes_for(speech, [Visual("designed")] * 3), narration=root / "narration.wav",
                  music=Music(tmp_path / "tone.wav", volume=0.35, fade_in=0.2, fade_out=0.2),
                  transition=Transition("cut"))
    audio, rate = decoded_audio(render(tl, tmp_path / "out.mp4", workdir=tmp_path / "w", cancel=CancelToken())), 48000

    def bands(a: float, b: float) -> tuple[float, float]:
        x = audio[int(a * rate):int(b * rate)]
        power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
        freq = np.fft.rfftfreq(len(x), 1 / rate)
        level = lambda sel: 10 * np.log10(power[sel].sum() + 1e-12)  # noqa: E731
        return level((freq > 50) & (freq < 60)), level(freq > 80)

    pairs = list(zip(speech.sentences, speech.sentences[1:], strict=False))
    for s in speech.sentences:
        music, voice = bands(s.start + 0.3, s.end - 0.2)
        print("speaking: music", music, "voice", voice)
        assert voice - music >= 10
    for a, b in pairs:
        ducked, _ = bands(a.end - 0.8, a.end - 0.1)
        free, _ = bands(a.end + 0.5, b.start - 0.05)
        print("music ducked", ducked, "between", free)
        assert free - ducked >= 6


def test_the_narration_is_normalised_to_the_loudness_target(root, speech, tmp_path):
    """Kokoro speaks at its own level; the video's voice measures the timeline's target (ebur128 on the
    decoded audio of the MP4, a different filter from the loudnorm that set it)."""
    tl = Timeline(64, 64, 10, scenes_for(speech, [Visual("designed")] * 3), narration=root / "narration.wav",
                  transition=Transition("cut"), loudness=-18.0)
    out = render(tl, tmp_path / "out.mp4", workdir=tmp_path / "w", cancel=CancelToken())
    report = run_ffmpeg(["-i", str(out), "-vn", "-af", "ebur128", "-f", "null", "-"], CancelToken())
    measured = float(re.findall(rb"I:\s+(-?\d+\.\d) LUFS", report)[-1])
    raw = float(re.findall(rb"I:\s+(-?\d+\.\d) LUFS", run_ffmpeg(
        ["-i", str(root / "narration.wav"), "-af", "ebur128", "-f", "null", "-"], CancelToken()))[-1])
    print("narration", raw, "LUFS -> video", measured)
    assert abs(measured - -18.0) <= 1.0 and abs(raw - -18.0) > 1.0
