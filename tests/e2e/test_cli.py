"""The ``noxus-local`` CLI on a live server's data dir: config check, accounts, keys, config sync."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import KEY_RE, Server, no_server_errors, start_module_server

QR = "/api/v1/tools/qr"



@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "cli")
    yield server
    server.stop()


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def created_key(server: Server, *args: str) -> dict[str, str]:
    return json.loads(ok(server.cli("keys", "create", "--json", *args)))


# --- config check -----------------------------------------------------------------------------


def test_config_check_accepts_a_good_config(make_server):
    server = make_server('[server]\nport = 9001\n[tiers.free]\njobs_per_hour = 5\n', start=False)
    out = ok(server.cli("config", "check"))
    assert "server.port = 9001" in out
    assert "config ok" in out


def test_config_check_unknown_key_exits_2(make_server):
    result = make_server("[server]\nprot = 1\n", start=False).cli("config", "check")
    assert result.returncode == 2
    assert "prot" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_wrong_type_exits_2(make_server):
    result = make_server('[server]\nport = "x"\n', start=False).cli("config", "check")
    assert result.returncode == 2
    assert "server.port" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_invalid_toml_exits_2(make_server):
    result = make_server("[server\nport = 1\n", start=False).cli("config", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# --- accounts ---------------------------------------------------------------------------------


def test_accounts_create_credit_show(srv):
    assert ok(srv.cli("accounts", "create", "acme", "--tier", "starter")).strip() == "created acme"
    assert srv.cli("accounts", "create", "acme").returncode == 1
    ok(srv.cli("accounts", "credit", "acme", "5", "--env", "live"))
    shown = json.loads(ok(srv.cli("accounts", "show", "acme")))
    assert (shown["id"], shown["tier"], shown["status"]) == ("acme", "starter", "active")
    assert shown["balances"]["live"] == {"currency": "USD", "balance_usd": "5", "available_usd": "5",
                                         "lifetime_spent_usd": "0"}
    assert shown["balances"]["test"]["balance_usd"] == "0"


def test_live_key_spends_the_live_balance(srv):
    ok(srv.cli("accounts", "create", "livecorp"))
    ok(srv.cli("accounts", "credit", "livecorp", "1", "--env", "live"))
    key = created_key(srv, "--account", "livecorp", "--env", "live")["key"]
    assert key.startswith("noxus_live_")
    r = srv.post(QR, key=key, json={"text": "live"})
    assert r.status_code == 200, r.text
    assert r.json()["billing"]["balance_after_usd"] == "0.998"
    balances = json.loads(ok(srv.cli("accounts", "show", "livecorp")))["balances"]
    assert (balances["live"]["balance_usd"], balances["test"]["balance_usd"]) == ("0.998", "0")


def test_accounts_credit_rejects_bad_amounts(srv):
    for amount in ("-1", "0", "abc", "0.0000001"):
        result = srv.cli("accounts", "credit", "default", amount)
        assert result.returncode == 1, amount
        assert "Traceback" not in result.stderr
    assert srv.cli("accounts", "credit", "nobody", "1").returncode == 1


# --- keys -------------------------------------------------------------------------------------


def test_keys_create_prints_the_key_once_and_list_never(srv):
    out = ok(srv.cli("keys", "create", "--account", "default", "--name", "shown-once"))
    keys = KEY_RE.findall(out)
    assert len(keys) == 1
    key = keys[0]
    assert out.count(key) == 1
    assert srv.post("/api/v1/ping", key=key).status_code == 200
    listing = ok(srv.cli("keys", "list"))
    assert key not in listing
    assert KEY_RE.search(listing) is None
    line = next(line for line in listing.splitlines() if "shown-once" in line)
    assert key[:15] in line  # the hint: prefix + first 4 characters


def test_keys_rotate(srv):
    old = created_key(srv, "--account", "default", "--name", "rotating", "--tool", "qr")
    out = ok(srv.cli("keys", "rotate", old["id"]))
    new = KEY_RE.findall(out)
    assert len(new) == 1 and new[0] != old["key"]
    r = srv.post(QR, key=new[0], json={"text": "rotated"})
    assert r.status_code == 200, r.text
    r = srv.post("/api/v1/tools/image-convert", key=new[0], json={})
    assert r.json()["error_code"] == "tool_not_allowed"  # the twin keeps the tool list
    r = srv.post("/api/v1/ping", key=old["key"])
    assert (r.status_code, r.json()["error_code"]) == (401, "revoked_api_key")
    assert srv.cli("keys", "rotate", old["id"]).returncode == 1


def test_key_commands_are_in_the_audit_log_without_the_plain_key(srv):
    """Issue 25: every admin action is audited, the CLI's key commands too, by the OS user."""
    made = created_key(srv, "--account", "default", "--name", "audited", "--max-spend", "2")
    ok(srv.cli("keys", "update", made["id"], "--max-spend", "3"))
    rotated = ok(srv.cli("keys", "rotate", made["id"]))
    new_id = re.search(r"new key id: (\S+)", rotated).group(1)
    ok(srv.cli("keys", "revoke", new_id))
    out = ok(srv.cli("admin", "audit", "--action", "key.", "--json"))
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]  # one JSON object a line
    mine = [(e["action"], e["target"]) for e in entries if e["target"] in (made["id"], new_id)]
    assert sorted(mine) == sorted([("key.create", made["id"]), ("key.budget", made["id"]),
                                   ("key.rotate", made["id"]), ("key.revoke", new_id)])
    assert all(e["via"] == "cli" for e in entries if e["target"] in (made["id"], new_id))
    assert made["key"] not in json.dumps(entries)


def test_keys_create_for_unknown_account_fails(srv):
    result = srv.cli("keys", "create", "--account", "ghost")
    assert result.returncode == 1
    assert KEY_RE.search(result.stdout) is None


# --- keys declared in the config --------------------------------------------------------------


ENV_KEY = "noxus_test_" + "envdeclaredkey0123456789_abcdefghijklmnopq"
SYNC_CONFIG = """
    [[accounts]]
    id = "acme"
    tier = "starter"
    initial_test_balance_usd = "3"
    [[accounts.apps]]
    id = "web"
    [[accounts.apps.keys]]
    name = "ci"
    env = "ACME_KEY"
    """


def test_config_key_from_env_var_and_idempotent_sync(make_server):
    server = make_server(SYNC_CONFIG, env={"ACME_KEY": ENV_KEY})
    server.client.event_hooks = {"request": [], "response": [no_server_errors]}
    r = server.post("/api/v1/ping", key=ENV_KEY)
    assert r.status_code == 200, r.text
    assert r.json()["account"]["tier"] == "starter"
    assert server.post(QR, key=ENV_KEY, json={"text": "antes"}).status_code == 200

    server.stop()
    server.start()
    server.stop()
    server.start()

    r = server.get("/api/v1/balance", key=ENV_KEY)
    assert r.status_code == 200, r.text
    assert r.json()["balance"] == {"currency": "USD", "balance_usd": "2.998", "available_usd": "2.998",
                                   "lifetime_spent_usd": "0.002"}
    lines = [line for line in ok(server.cli("keys", "list", "--account", "acme")).splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(r"\bci\b", lines[0])
    with sqlite3.connect(f"file:{server.data_dir / 'noxus.db'}?mode=ro", uri=True) as conn:
        credits = conn.execute("SELECT COUNT(*) FROM ledger WHERE account_id = 'acme' AND kind = 'credit'")
        assert credits.fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM accounts WHERE id = 'acme'").fetchone()[0] == 1


def test_accounts_update_suspends_and_reactivates(srv):
    ok(srv.cli("accounts", "create", "flaky"))
    key = srv.new_key("flaky")
    assert srv.post("/api/v1/ping", key=key).status_code == 200
    ok(srv.cli("accounts", "update", "flaky", "--status", "suspended", "--tier", "pro"))
    r = srv.post("/api/v1/ping", key=key)
    assert (r.status_code, r.json()["error_code"]) == (403, "account_suspended")
    ok(srv.cli("accounts", "update", "flaky", "--status", "active"))
    assert srv.post("/api/v1/ping", key=key).json()["account"] == {"tier": "pro", "status": "active"}
    assert srv.cli("accounts", "update", "nobody", "--status", "active").returncode == 1
    assert srv.cli("accounts", "update", "flaky", "--tier", "gold").returncode == 1
