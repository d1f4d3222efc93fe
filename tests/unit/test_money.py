import pytest

from noxus_local.money import format_usd, parse_usd


@pytest.mark.parametrize("text,micros", [("0.002", 2000), ("10", 10_000_000), ("9.998", 9_998_000),
                                         ("0", 0), ("0.000001", 1)])
def test_round_trip(text, micros):
    assert parse_usd(text) == micros
    assert format_usd(micros) == text


@pytest.mark.parametrize("bad", ["-1", "abc", "0.0000001", "NaN", "inf"])
def test_rejects(bad):
    with pytest.raises(ValueError):
        parse_usd(bad)
