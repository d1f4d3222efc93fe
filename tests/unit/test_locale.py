"""The one locale table (noxus_local/locale/messages.toml) and the rule that every sentence comes from it.

The AST scans make a wrong key, a missing or extra placeholder, or a new inline ``Text("...", "...")`` fail
here, at test time, instead of as a 500 (or an untranslated sentence) at run time.
"""

import ast
import pickle
from pathlib import Path

import pytest

from noxus_local import errors, locale
from noxus_local.errors import Text, message, one_of, say
from noxus_local.locale import TABLE, load, placeholders, t

PACKAGE = Path(locale.__file__).resolve().parents[1]
LOCALE_DIR = Path(locale.__file__).resolve().parent
# t(key, ...) calls whose key is not a literal: bodies.py picks the key per msgspec sentence from its
# _PATTERNS table and checks each key's placeholders against the pattern's groups at import
DYNAMIC_KEYS = {"api/bodies.py"}


def modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if LOCALE_DIR in path.parents:
            continue
        found.append((path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path))))
    return found


MODULES = modules()


def imports_t(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module in ("noxus_local.locale", "noxus_local.errors")
               and any(alias.name == "t" and alias.asname is None for alias in node.names)
               for node in ast.walk(tree))


def t_calls(tree: ast.Module) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == "t"]


def test_every_key_has_both_locales_with_the_same_placeholders():
    assert len(TABLE) > 250
    for key, entry in TABLE.items():
        assert set(entry) == {"es", "en"}, key
        assert entry["es"].strip() and entry["en"].strip(), key
        assert placeholders(entry["es"]) == placeholders(entry["en"]), key
        for loc in ("es", "en"):  # a template that cannot be formatted would fail only when said
            entry[loc].format(**dict.fromkeys(placeholders(entry[loc]), 1.5))


def test_a_malformed_table_is_refused_when_read(tmp_path):
    one_locale = tmp_path / "one.toml"
    one_locale.write_text('[x]\nonly.es = "hola"\n')
    with pytest.raises(ValueError, match="x.only needs exactly es and en"):
        load(one_locale)
    differing = tmp_path / "differ.toml"
    differing.write_text('[x]\nsize.es = "como mucho {n}"\nsize.en = "at most {most}"\n')
    with pytest.raises(ValueError, match="x.size: es and en name different placeholders"):
        load(differing)


def test_every_t_call_names_a_key_of_the_table_with_exactly_its_placeholders():
    checked, problems = 0, []
    for name, tree in MODULES:
        calls = t_calls(tree)
        if calls and not imports_t(tree):
            problems.append(f"{name}: calls t() without importing it from noxus_local.locale")
        for call in calls:
            where = f"{name}:{call.lineno}"
            key = call.args[0] if call.args else None
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                if name not in DYNAMIC_KEYS:
                    problems.append(f"{where}: the key must be a string literal")
                continue
            if key.value not in TABLE:
                problems.append(f"{where}: unknown key {key.value!r}")
                continue
            given = {kw.arg for kw in call.keywords}
            if len(call.args) != 1 or None in given:
                problems.append(f"{where}: values go by name, t({key.value!r}, name=value)")
            elif given != placeholders(TABLE[key.value]["es"]):
                problems.append(f"{where}: {key.value} takes {sorted(placeholders(TABLE[key.value]['es']))}, "
                                f"the call gives {sorted(given)}")
            checked += 1
    assert problems == []
    assert checked > 250


def written(node: ast.AST) -> bool:
    """A sentence written in the code: a string literal, an f-string, or one glued with ``+``."""
    if isinstance(node, ast.BinOp):
        return written(node.left) or written(node.right)
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_no_inline_text_with_a_literal_outside_the_locale_module():
    """The rule from now on: a sentence is added to messages.toml and said with t("section.key", ...)."""
    offenders = []
    for name, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Name) and node.func.id == "Text")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "Text")):
                if any(written(arg) for arg in [*node.args, *(kw.value for kw in node.keywords)]):
                    offenders.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert offenders == []


def test_every_key_of_the_table_is_used():
    """A key nobody says is a sentence a translator keeps up for nothing. code.* are said by errors.message,
    console.* by the console's templates (``t.<key>``, and ``t[status]`` for a job's or key's state)."""
    literals = {node.value for _, tree in MODULES for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    unused = [key for key in TABLE if not key.startswith(("code.", "console.")) and key not in literals]
    assert unused == []


def test_no_module_rebinds_t_where_it_says_a_sentence():
    """``t = ...`` (or a parameter ``t``) in a function that also calls t("...") would make the call an
    UnboundLocalError or call the wrong thing: a 500 where a 400 was meant."""
    clashes = []

    def scope(node: ast.AST, name: str) -> None:
        binds, calls = False, False
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            binds = any(arg.arg == "t" for arg in ast.walk(node.args) if isinstance(arg, ast.arg))
        stack = list(ast.iter_child_nodes(node))
        while stack:
            child = stack.pop()
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
                                  ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                scope(child, name)
                continue
            if isinstance(child, ast.Name) and child.id == "t":
                binds |= isinstance(child.ctx, ast.Store)
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id == "t":
                calls = True
            stack.extend(ast.iter_child_nodes(child))
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            binds |= any(isinstance(n, ast.Name) and n.id == "t" for g in node.generators for n in ast.walk(g.target))
        if binds and (calls or isinstance(node, ast.Module)):
            clashes.append(f"{name}:{getattr(node, 'lineno', 0)}")

    for name, tree in MODULES:
        if imports_t(tree):
            scope(tree, name)
    assert clashes == []


def test_t_fills_both_locales_and_a_text_value_in_each():
    said = t("auto_clip.your_tier_renders_at", highest="720p")
    assert isinstance(said, Text)
    assert (str(said), said.en) == ("Tu plan renderiza como máximo a 720p.", "Your tier renders at most 720p.")
    hint = t("common.list_voices_hint")
    both = t("common.unknown_voice_hint", list_hint=hint)
    assert str(both) == "voz desconocida; GET /api/v1/voices lista las voces"
    assert both.en == "unknown voice; GET /api/v1/voices lists the voices"
    assert say({"field_errors": {"voice_id": [both]}}, "en") == {"field_errors": {"voice_id": [both.en]}}


def test_a_wrong_key_or_placeholder_is_a_key_error():
    with pytest.raises(KeyError):
        t("no_such.key")
    with pytest.raises(KeyError, match="takes"):
        t("auto_clip.your_tier_renders_at")
    with pytest.raises(KeyError, match="takes"):
        t("probe.empty", extra=1)


def test_the_error_codes_sentences_come_from_the_table():
    assert errors.MESSAGES["job_cancelled"] == ("El trabajo fue cancelado.", "The job was cancelled.")
    assert message("job_cancelled", "en") == TABLE["code.job_cancelled"]["en"]
    assert message("job_cancelled", "es") == TABLE["code.job_cancelled"]["es"]
    assert message("no_such_code", "en") == "Internal server error."
    # every code an error class carries has its sentence
    assert set(errors.ERRORS_BY_CODE) <= set(errors.MESSAGES)
    listed = one_of(("png", "jpeg"))
    assert (str(listed), listed.en) == ("uno de: png, jpeg", "one of: png, jpeg")


def test_a_text_survives_pickling_across_processes():
    said = pickle.loads(pickle.dumps(t("ssrf.could_not_resolve", host="example.invalid")))
    assert isinstance(said, Text) and said.en == "could not resolve example.invalid"
    assert errors.Text is locale.Text  # the old import path keeps working
