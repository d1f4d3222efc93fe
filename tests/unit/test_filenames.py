import pytest

from noxus_local.tools.filenames import sanitise_filename


@pytest.mark.parametrize(("name", "ext", "expected"), [
    ("../../x", "png", "x.png"),
    ("..\\..\\windows\\x", "png", "x.png"),
    ("C:\\Users\\ana\\Mi foto.JPG", "webp", "Mi-foto.webp"),
    ("logo.png", ".webp", "logo.webp"),
    ("informe.pdf", "png", "informe.pdf.png"),
    ("año  2024 — ñandú.jpeg", "jpg", "año-2024-ñandú.jpg"),
    ("tab\there\x00nul\x1b", "png", "tabherenul.png"),  # control chars dropped, not turned into "-"
    ("...hidden", "png", "hidden.png"),
    ("a<b>c:d|e?f*g\"h", "gif", "abcdefgh.gif"),
    ("CON", "png", "CON_.png"),
])
def test_sanitise(name, ext, expected):
    assert sanitise_filename(name, ext, "out") == expected


@pytest.mark.parametrize("name", [None, "", "   ", "../..", "/", "...", "???"])
def test_empty_falls_back_to_default(name):
    assert sanitise_filename(name, "png", "qr") == "qr.png"


def test_capped_at_100_chars_before_extension():
    assert sanitise_filename("a" * 500 + ".png", "jpg", "x") == "a" * 100 + ".jpg"


def test_extension_is_lower_case():
    assert sanitise_filename("Foto", "PNG", "x") == "Foto.png"
