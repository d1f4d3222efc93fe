"""Probe against content: which seconds are charged, and when a warning is due (issue 17, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from noxus_local.media.decoded import add_warning, processed_seconds, wav_seconds
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken


def test_a_header_that_lies_is_charged_what_was_decoded_with_a_warning() -> None:
    processed = processed_seconds(110.0, 2.0)
    assert processed.seconds == 2.0
    assert processed.warning is not None
    assert (processed.warning["code"], processed.warning["probed_seconds"],
            processed.warning["decoded_seconds"]) == ("duration_mismatch", 110.0, 2.0)


@pytest.mark.parametrize(("probed", "decoded"), [(12.0, 11.96), (12.0, 12.4), (100.0, 96.0), (0.3, 0.75)])
def test_agreement_within_half_a_second_or_five_percent_keeps_the_probed_seconds(probed: float,
                                                                               decoded: float) -> None:
    assert processed_seconds(probed, decoded).seconds == probed
    assert processed_seconds(probed, decoded).warning is None


@pytest.mark.parametrize(("probed", "decoded"), [(12.0, 11.0), (100.0, 94.0), (10.0, 11.0)])
def test_past_both_tolerances_the_decoded_seconds_win(probed: float, decoded: float) -> None:
    assert processed_seconds(probed, decoded).seconds == decoded
    assert processed_seconds(probed, decoded).warning is not None


def test_no_probed_duration_is_the_decoded_one_without_warning() -> None:
    assert processed_seconds(None, 3.2).seconds == 3.2
    assert processed_seconds(None, 3.2).warning is None


def test_warnings_accumulate_in_the_result() -> None:
    result: dict = {}
    add_warning(result, None)
    assert result == {}
    add_warning(result, processed_seconds(110.0, 2.0).warning)
    assert [w["code"] for w in result["warnings"]] == ["duration_mismatch"]


def test_wav_seconds_counts_the_samples_ffmpeg_wrote(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=300:sample_rate=16000", "-t", "2.5", "-ac", "1",
                "-c:a", "pcm_s16le", str(out)], CancelToken())
    assert wav_seconds(out) == 2.5
