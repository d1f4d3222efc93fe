"""The console's words in English and Spanish, picked by ``[server] locale`` (like errors' texts).

Both languages come from the one locale table (``locale/messages.toml``, section ``[console]``: a
translator edits that file), so a template writes ``{{ t.keys }}`` and never holds a sentence of its own.

Example::

    words("en")["login"] == "Sign in"; words("es")["login"] == "Entrar"
"""

from __future__ import annotations

from noxus_local.locale import TABLE

# both tables come from the one locale table, section [console] (locale/messages.toml)
EN: dict[str, str] = {key.removeprefix("console."): entry["en"] for key, entry in TABLE.items()
                      if key.startswith("console.")}
ES: dict[str, str] = {key.removeprefix("console."): entry["es"] for key, entry in TABLE.items()
                      if key.startswith("console.")}

TABLES = {"en": EN, "es": ES}


class Words:
    """A table read as ``t.keys`` or ``t["keys"]`` in a template: attributes only, so a message key
    such as ``keys`` or ``items`` is never shadowed by a dict method (Jinja tries attributes first)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.__dict__.update(table)

    def __getitem__(self, key: str) -> str:
        return str(self.__dict__[key])


def words(locale: str) -> Words:
    """The table for ``locale`` ("es" or "en"); Spanish, the default locale, for anything else."""
    return Words(TABLES.get(locale, ES))
