from pathlib import Path

import pytest

from noxus_local.cli.config_example import render_example
from noxus_local.config import load_config, settings_table
from noxus_local.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file():
    cfg = load_config(None, {})
    assert (cfg.server.host, cfg.server.port, cfg.server.data_dir) == ("127.0.0.1", 8080, "./noxus-data")
    assert cfg.tiers["free"].jobs_per_hour == 60
    assert cfg.tiers["free"].concurrent_jobs == 1
    assert cfg.prices == {}  # the tools' own default prices are merged by the catalog (Catalog.priced)


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"server\.prot"):
        load_config(write(tmp_path, "[server]\nprot = 1\n"), {})


def test_unknown_section_is_named(tmp_path):
    with pytest.raises(ConfigError, match="serverr"):
        load_config(write(tmp_path, "[serverr]\nport = 1\n"), {})


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"server\.port: expected an integer"):
        load_config(write(tmp_path, '[server]\nport = "x"\n'), {})


def test_wrong_type_inside_a_tier(tmp_path):
    with pytest.raises(ConfigError, match=r"tiers\.free\.jobs_per_hour"):
        load_config(write(tmp_path, '[tiers.free]\njobs_per_hour = "lots"\n'), {})


@pytest.mark.parametrize(("line", "named"), [
    ("fetch_timeout_seconds = 0", "fetch_timeout_seconds"), ("fetch_min_bytes_per_second = -1", "fetch_min_bytes"),
    ("fetch_min_rate_grace_seconds = 0", "fetch_min_rate_grace"), ("fetch_slots = 0", "fetch_slots"),
    ("fetch_slot_wait_seconds = -1", "fetch_slot_wait")])
def test_fetch_settings_out_of_range_are_named(tmp_path, line, named):
    with pytest.raises(ConfigError, match=rf"assets\.{named}"):
        load_config(write(tmp_path, f"[assets]\n{line}\n"), {})


def test_bad_price(tmp_path):
    with pytest.raises(ConfigError, match=r"prices\.qr"):
        load_config(write(tmp_path, '[prices]\nqr = "0.0000001"\n'), {})


def test_env_overrides_file(tmp_path):
    path = write(tmp_path, "[server]\nport = 9000\n")
    cfg = load_config(path, {"NOXUS_SERVER_PORT": "9100", "NOXUS_DATA_DIR": "/tmp/x",
                             "NOXUS_WEBHOOKS_RETRY_BACKOFF_SECONDS": "1,2"})
    assert (cfg.server.port, cfg.server.data_dir) == (9100, "/tmp/x")
    assert cfg.webhooks.retry_backoff_seconds == [1, 2]


def test_bad_env_value_is_named():
    with pytest.raises(ConfigError, match="NOXUS_SERVER_PORT"):
        load_config(None, {"NOXUS_SERVER_PORT": "eighty"})


def test_custom_tier_and_account(tmp_path):
    cfg = load_config(write(tmp_path, """
[tiers.bulk]
concurrent_jobs = 40
[[accounts]]
id = "acme"
tier = "bulk"
[[accounts.apps]]
id = "web"
[[accounts.apps.keys]]
name = "ci"
env = "ACME_KEY"
"""), {})
    assert cfg.tiers["bulk"].concurrent_jobs == 40
    assert cfg.tiers["bulk"].jobs_per_hour == 60  # undeclared fields keep the defaults
    assert cfg.accounts[0].apps[0].keys[0].env == "ACME_KEY"


def test_account_with_unknown_tier(tmp_path):
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.tier"):
        load_config(write(tmp_path, '[[accounts]]\nid = "a"\ntier = "gold"\n'), {})


def test_key_needs_exactly_one_source(tmp_path):
    text = '[[accounts]]\nid = "a"\n[[accounts.apps]]\nid = "w"\n[[accounts.apps.keys]]\nname = "k"\n'
    with pytest.raises(ConfigError, match="exactly one of sha256 or env"):
        load_config(write(tmp_path, text), {})


def test_example_file_is_rendered_from_the_declarations():
    assert (ROOT / "config.example.toml").read_text() == render_example()


def test_example_file_loads_and_names_every_setting():
    cfg = load_config(ROOT / "config.example.toml", {})
    text = (ROOT / "config.example.toml").read_text()
    for name, _default, help_text in settings_table():
        assert f"{name.split('.')[-1]} = " in text and help_text in text
    assert cfg.server.port == 8080
