"""The voice agent's pure parts: sentences from streamed pieces, the model's messages, voices and languages,
and a turn's money on a real SQLite ledger (hold → charge with the messages, or release)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from noxus_local.accounts.keys import Principal
from noxus_local.agents import persona, store
from noxus_local.agents.audio import signed_path, verify
from noxus_local.agents.turn import Persona, messages, sentences
from noxus_local.billing import ledger
from noxus_local.errors import InsufficientBalance, NotFound, ValidationError
from noxus_local.store.db import Database


def test_pieces_become_whole_sentences_as_soon_as_each_ends():
    got = list(sentences(iter(["We open", " at **nine**. We", " close at six! And", " on Sundays"])))
    assert got == ["We open at nine.", "We close at six!", "And on Sundays"]
    assert list(sentences(iter(["", "  "]))) == []


def test_the_model_sees_the_prompt_the_call_and_the_caller_last():
    p = Persona("Lumen opens at nine.", {"af_heart": 1.0}, "en-us", "en")
    said = messages(p, [{"role": "assistant", "content": "Hi!"}], "When do you open?")
    assert said[0]["role"] == "system" and said[0]["content"].startswith("Lumen opens at nine.")
    assert "one to three short" in said[0]["content"]
    assert said[1:] == [{"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "When do you open?"}]


def test_languages_and_voices():
    assert persona.speaking_tag("en") == "en-us" and persona.speaking_tag("ES") == "es"
    assert persona.speaking_tag("en-GB") == "en-gb"
    with pytest.raises(ValidationError) as caught:
        persona.speaking_tag("xx")
    assert "language" in caught.value.details["field_errors"]
    assert persona.default_voice("es") == "ef_dora" and persona.default_voice(None) == "af_heart"
    assert persona.persona_of("p", {"ef_dora": 1.0}, "pt-br").hears == "pt"


def test_a_signed_audio_url_verifies_only_for_its_call_and_file():
    url = signed_path(b"k" * 32, "call_1", "turn_a.wav", ttl=60)
    expires, sig = int(url.split("expires=")[1].split("&")[0]), url.split("sig=")[1]
    assert verify(b"k" * 32, "call_1", "turn_a.wav", expires, sig)
    assert not verify(b"k" * 32, "call_2", "turn_a.wav", expires, sig)
    assert not verify(b"k" * 32, "call_1", "turn_b.wav", expires, sig)
    assert not verify(b"k" * 32, "call_1", "turn_a.wav", expires, "é" * 64)
    assert not verify(b"k" * 32, "call_1", "turn_a.wav", int(time.time()) - 1, sig)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "noxus.db")
    db.migrate()
    with db.write() as conn:
        conn.execute("INSERT INTO accounts (id, name, status, tier, created_at)"
                     " VALUES ('a1', 'a1', 'active', 'free', 0)")
        ledger.credit(conn, "a1", "test", 100_000)
    return db


def who(account: str = "a1") -> Principal:
    return Principal("key_1", "noxus_test_x", account, None, "test", frozenset({"tools:run"}), None, "free", "active")


def test_a_turn_is_charged_once_with_its_messages_and_a_failed_one_is_released(db, tmp_path):
    fields = store.AgentFields("Lumen", "Lumen opens at nine.", "Hi!", "kokoro", "qwen2.5-coder-0.5b-instruct",
                               "af_heart", "en-us")
    agent = store.create_agent(db, "a1", "test", fields)
    assert store.get_agent(db, agent.id, "a1", "test") == agent
    with pytest.raises(NotFound):
        store.get_agent(db, agent.id, "a2", "test")
    call = store.open_call(agent)
    store.hold_turn(db, who(), 40_000, "turn_1")
    record = store.TurnRecord("When do you open?", "At nine.", "turn_1.wav", 1.2)
    assert store.finish_turn(db, who(), call, "Hi!", record, 40_000, 40_000, "turn_1") == 1
    store.hold_turn(db, who(), 40_000, "turn_2")
    store.release_turn(db, who(), 40_000, "turn_2")
    with pytest.raises(InsufficientBalance):  # 60,000 left: a third hold of 80,000 is refused, nothing held
        store.hold_turn(db, who(), 80_000, "turn_3")
    view = ledger.read_balance(db.conn(), "a1", "test")
    assert (view.balance_micros, view.held_micros) == (60_000, 0)
    assert ledger.audit(db.conn(), "a1", "test") == {"balance_micros": 60_000, "held_micros": 0,
                                                     "spent_micros": 40_000}
    found = store.lines(db, call.id)
    assert [(x.role, x.text) for x in found] == [("agent", "Hi!"), ("caller", "When do you open?"),
                                                  ("agent", "At nine.")]
    assert store.history(found)[-1] == {"role": "assistant", "content": "At nine."}
    assert store.has_audio(db, call.id, "turn_1.wav") and not store.has_audio(db, call.id, "turn_2.wav")
    with pytest.raises(NotFound):
        store.get_call(db, call.id, "a1", "test", agent_id="agent_other")
    store.delete_agent(db, agent, tmp_path)
    assert store.list_calls(db, "a1", "test") == [] and store.list_agents(db, "a1", "test") == []
