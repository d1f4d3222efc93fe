"""Voice agents, their calls and each call's messages in SQLite (migration 17), and a turn's money.

Everything is read through the owning account and environment: another account's agent or call is
the same 404 as an unknown one. A call's messages are numbered from 0 (the agent's greeting), then
caller and agent alternate; an agent message names its reply audio (``audio``: a file under
``<data dir>/voice-agent/<call id>/``) and what its turn was charged. A turn's money follows
``jobs.store.submit``/``finish`` on the same ledger: ``hold_turn`` reserves the price (and the key's
budget) before any model runs, ``finish_turn`` charges it and writes the turn's two messages in one
transaction (charged once, only with the messages it paid for), ``release_turn`` gives it back.

Example::

    agent = create_agent(db, "acct_1", "test", AgentFields("Lumen", "You answer for Lumen.", "Hi!", "kokoro",
                                                           "qwen2.5-coder-0.5b-instruct", "af_heart", "en-us"))
    call = open_call(agent)
    hold_turn(db, principal, 40_000, "turn_…")
    finish_turn(db, principal, call, "Hi!", TurnRecord("When do you open?", "At nine.", "turn_….wav", 1.2),
                40_000, 40_000, "turn_…")    # 1: the call stored, "Hi!" its message 0
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.accounts.keys import Principal
from noxus_local.billing import budgets, ledger
from noxus_local.errors import InsufficientBalance, NotFound, ValidationError
from noxus_local.generate.llm.types import Message
from noxus_local.locale import t
from noxus_local.money import format_usd

CALL_IDLE_SECONDS = 30 * 60  # a call with no turn for this long has ended
HISTORY_MESSAGES = 16  # the last messages of a call the model sees (the prompt stays small)
AUDIO_DIR = "voice-agent"


@dataclass(frozen=True)
class AgentFields:
    name: str
    system_prompt: str
    greeting: str
    tts_model: str
    llm_model: str
    voice_id: str
    language: str


@dataclass(frozen=True)
class Agent:
    id: str
    fields: AgentFields
    created_at: float


@dataclass(frozen=True)
class Call:
    id: str
    agent_id: str
    started_at: float
    last_at: float

    def ended(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) - self.last_at > CALL_IDLE_SECONDS


@dataclass(frozen=True)
class Line:
    """One message of a call: ``role`` agent or caller."""

    seq: int
    role: str
    text: str
    at: float
    audio: str | None
    duration_seconds: float | None


def create_agent(db: Any, account_id: str, environment: str, fields: AgentFields) -> Agent:
    agent = Agent("agent_" + secrets.token_hex(8), fields, time.time())
    with db.write():
        db.table("voice_agents").insert({"id": agent.id, "account_id": account_id, "environment": environment,
                                         **fields.__dict__, "created_at": agent.created_at})
    return agent


def _agent(row: Any) -> Agent:
    return Agent(row["id"], AgentFields(row["name"], row["system_prompt"], row["greeting"], row["tts_model"],
                                        row["llm_model"], row["voice_id"], row["language"]), row["created_at"])


def list_agents(db: Any, account_id: str, environment: str) -> list[Agent]:
    rows = db.all("SELECT * FROM voice_agents WHERE account_id = ? AND environment = ? ORDER BY created_at, id",
                  (account_id, environment))
    return [_agent(r) for r in rows]


def get_agent(db: Any, agent_id: str, account_id: str, environment: str) -> Agent:
    """The account's agent; an unknown id and another account's alike are 404."""
    row = db.one("SELECT * FROM voice_agents WHERE id = ? AND account_id = ? AND environment = ?",
                 (agent_id, account_id, environment))
    if row is None:
        raise NotFound(details={"agentId": agent_id[:100]})
    return _agent(row)


def delete_agent(db: Any, agent: Agent, data_dir: Path) -> None:
    """The agent, its calls and their messages and audio."""
    with db.write() as conn:
        calls = [r[0] for r in conn.execute("SELECT id FROM voice_agent_calls WHERE agent_id = ?", (agent.id,))]
        conn.executemany("DELETE FROM voice_agent_turns WHERE call_id = ?", [(c,) for c in calls])
        conn.execute("DELETE FROM voice_agent_calls WHERE agent_id = ?", (agent.id,))
        conn.execute("DELETE FROM voice_agents WHERE id = ?", (agent.id,))
    for call_id in calls:
        shutil.rmtree(audio_dir(data_dir, call_id), ignore_errors=True)


def audio_dir(data_dir: Path, call_id: str) -> Path:
    return data_dir / AUDIO_DIR / call_id


def open_call(agent: Agent) -> Call:
    """A new call, not stored yet: ``finish_turn`` stores it with its greeting and first turn, so a first
    turn that fails leaves nothing behind."""
    now = time.time()
    return Call("call_" + secrets.token_hex(8), agent.id, now, now)


def get_call(db: Any, call_id: str, account_id: str, environment: str, agent_id: str | None = None) -> Call:
    """The account's call (of ``agent_id`` when given); unknown, another account's or another agent's: 404."""
    row = db.one("SELECT * FROM voice_agent_calls WHERE id = ? AND account_id = ? AND environment = ?",
                 (call_id, account_id, environment))
    if row is None or (agent_id is not None and row["agent_id"] != agent_id):
        raise NotFound(details={"callId": call_id[:100]})
    return Call(row["id"], row["agent_id"], row["started_at"], row["last_at"])


def lines(db: Any, call_id: str) -> list[Line]:
    rows = db.all("SELECT * FROM voice_agent_turns WHERE call_id = ? ORDER BY seq", (call_id,))
    return [Line(r["seq"], r["role"], r["text"], r["at"], r["audio"], r["duration_seconds"]) for r in rows]


def history(found: list[Line]) -> list[Message]:
    """The call so far as the model's messages (the last ``HISTORY_MESSAGES``)."""
    return [{"role": "assistant" if line.role == "agent" else "user", "content": line.text}
            for line in found[-HISTORY_MESSAGES:]]


def list_calls(db: Any, account_id: str, environment: str, limit: int = 50) -> list[tuple[Call, list[Line]]]:
    rows = db.all("SELECT * FROM voice_agent_calls WHERE account_id = ? AND environment = ?"
                  " ORDER BY started_at DESC, id LIMIT ?", (account_id, environment, limit))
    calls = [Call(r["id"], r["agent_id"], r["started_at"], r["last_at"]) for r in rows]
    return [(call, lines(db, call.id)) for call in calls]


def hold_turn(db: Any, principal: Principal, micros: int, turn_id: str) -> None:
    """Reserve a turn's price as ``jobs.store.submit`` holds a job's: the balance and the key's budget in
    one transaction (both or neither); 402 when the balance is short or the budget spent."""
    p = principal
    with db.write() as conn:
        if ledger.hold(conn, p.account_id, p.environment, micros, turn_id) is None:
            available = ledger.read_balance(conn, p.account_id, p.environment).available_micros
            raise InsufficientBalance(details={"estimated_usd": format_usd(micros),
                                               "available_usd": format_usd(available)})
        budgets.reserve(conn, p.key_id, micros)


def release_turn(db: Any, principal: Principal, micros: int, turn_id: str) -> None:
    """A turn that failed: its hold goes back, charged 0."""
    with db.write() as conn:
        ledger.settle(conn, principal.account_id, principal.environment, micros, 0, turn_id)
        budgets.settle(conn, principal.key_id, micros, 0)


@dataclass(frozen=True)
class TurnRecord:
    """A turn that succeeded: what the caller and the agent said, and the reply's audio file."""

    caller_text: str
    reply: str
    audio: str
    duration_seconds: float


def finish_turn(db: Any, principal: Principal, call: Call, greeting: str | None, turn: TurnRecord,
                hold_micros: int, charge_micros: int, turn_id: str) -> int:
    """Charge the turn and write its two messages in one transaction (a new call, ``greeting`` given, is
    stored first with its greeting as message 0); the turn's number (1, 2, …)."""
    now, call_id = time.time(), call.id
    with db.write() as conn:
        if greeting is not None:
            conn.execute("INSERT INTO voice_agent_calls (id, account_id, environment, agent_id, started_at,"
                         " last_at) VALUES (?, ?, ?, ?, ?, ?)", (call_id, principal.account_id,
                                                                 principal.environment, call.agent_id,
                                                                 call.started_at, now))
            conn.execute("INSERT INTO voice_agent_turns (call_id, seq, role, text, at) VALUES (?, 0, 'agent', ?, ?)",
                         (call_id, greeting, call.started_at))
        ledger.settle(conn, principal.account_id, principal.environment, hold_micros, charge_micros, turn_id)
        budgets.settle(conn, principal.key_id, hold_micros, charge_micros)
        seq = _next_seq(conn, call_id)
        conn.execute("INSERT INTO voice_agent_turns (call_id, seq, role, text, at) VALUES (?, ?, 'caller', ?, ?)",
                     (call_id, seq, turn.caller_text, now))
        conn.execute("INSERT INTO voice_agent_turns (call_id, seq, role, text, at, audio, duration_seconds,"
                     " charged_micros) VALUES (?, ?, 'agent', ?, ?, ?, ?, ?)",
                     (call_id, seq + 1, turn.reply, now, turn.audio, turn.duration_seconds, charge_micros))
        conn.execute("UPDATE voice_agent_calls SET last_at = ? WHERE id = ?", (now, call_id))
    return (seq + 1) // 2


def _next_seq(conn: sqlite3.Connection, call_id: str) -> int:
    row = conn.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM voice_agent_turns WHERE call_id = ?",
                       (call_id,)).fetchone()
    return int(row[0])


def ended_call(call_id: str) -> ValidationError:
    return ValidationError.fields({"callId": [t("agents_store.call_ended", call_id=call_id[:100],
                                                minutes=CALL_IDLE_SECONDS // 60)]})


def has_audio(db: Any, call_id: str, name: str) -> bool:
    """``name`` is the reply audio of one of the call's turns (nothing else under its folder is served)."""
    return db.one("SELECT 1 FROM voice_agent_turns WHERE call_id = ? AND audio = ?", (call_id, name)) is not None
