"""Every human sentence the server says, in both locales, from one data file.

``messages.toml`` (beside this module) holds, per key, an ``es`` and an ``en``
sentence with named ``{placeholders}`` (``str.format``; a literal brace is
written ``{{`` or ``}}``). A translator edits that file, not code. Keys are
named after where they are used (``auto_clip.no_audio``); ``code.<code>``
holds each error code's sentence (``errors.message``); ``common.*`` the
sentences several modules share. The file is read once, at import.

Raising code never knows the locale: ``t`` returns a ``Text`` that carries both
sentences, and the body builder (``errors.say``) picks one per request.

Example::

    raise ValidationError.fields({"size": [t("reader.at_most", maximum=4000)]})
    t("auto_clip.your_tier_renders_at", highest="720p").en   # "Your tier renders at most 720p."
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from string import Formatter
from typing import Any

LOCALES = ("es", "en")
TABLE_PATH = Path(__file__).with_name("messages.toml")


class Text(str):
    """A sentence written in both locales; as a plain ``str`` it is the Spanish one (the default).

    Raising code never knows the locale, so a message that says more than its
    code's sentence carries both and is chosen where the body is built
    (``errors.say``). Being a ``str`` keeps every other use of it working.
    Build one with ``t(key, ...)``, never with literals (a unit test holds that).

    Example::

        raise InvalidMedia(t("probe.empty"))
        say(t("probe.empty"), "en")   # 'The file is empty (0 bytes).'
    """

    en: str

    def __new__(cls, es: str, en: str) -> Text:
        text = super().__new__(cls, es)
        text.en = en
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # pickled across processes
        return (str(self), self.en)


def placeholders(template: str) -> frozenset[str]:
    """The named fields of a ``str.format`` template: ``placeholders("at most {n:g} s") == {"n"}``."""
    return frozenset(field for _, field, _, _ in Formatter().parse(template) if field is not None)


def load(path: Path = TABLE_PATH) -> dict[str, dict[str, str]]:
    """The table flattened to ``{"section.key": {"es": ..., "en": ...}}``; ValueError for a malformed entry.

    Example: ``load()["code.job_cancelled"]["en"] == "The job was cancelled."``.
    """
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    table: dict[str, dict[str, str]] = {}
    for section, entries in raw.items():
        for name, entry in entries.items():
            key = f"{section}.{name}"
            if not isinstance(entry, dict) or sorted(entry) != sorted(LOCALES) or \
                    not all(isinstance(entry[loc], str) for loc in LOCALES):
                raise ValueError(f"{path.name}: {key} needs exactly es and en, both text")
            if placeholders(entry["es"]) != placeholders(entry["en"]):
                raise ValueError(f"{path.name}: {key}: es and en name different placeholders")
            table[key] = {loc: entry[loc] for loc in LOCALES}
    return table


TABLE = load()
# each key's placeholders, worked out once: t() only compares sets
_FIELDS = {key: placeholders(entry["es"]) for key, entry in TABLE.items()}


def _in(value: Any, locale: str) -> Any:
    """A placeholder value in one locale: a ``Text`` argument gives its own sentence in that locale."""
    if isinstance(value, Text):
        return value.en if locale == "en" else str(value)
    return value


def t(key: str, /, **values: Any) -> Text:
    """The table's sentence ``key`` filled with ``values``, in both locales.

    A ``Text`` value is filled in per locale:
    ``t("common.unknown_voice_hint", list_hint=t("common.list_voices_hint"))``.
    An unknown key or a placeholder missing or extra is a ``KeyError`` (the unit test scans every call, so
    none reaches a request).

    Example: ``t("ssrf.malformed_url").en == "malformed URL"``.
    """
    entry = TABLE[key]
    if _FIELDS[key] != values.keys():
        raise KeyError(f"{key} takes {sorted(_FIELDS[key])}, got {sorted(values)}")
    if not any(isinstance(v, Text) for v in values.values()):
        return Text(entry["es"].format_map(values), entry["en"].format_map(values))
    return Text(entry["es"].format_map({k: _in(v, "es") for k, v in values.items()}),
                entry["en"].format_map({k: _in(v, "en") for k, v in values.items()}))

