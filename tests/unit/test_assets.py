"""core.assets: streamed intake with per-kind limits, dedupe by SHA-256, quota, ownership."""

import threading
from pathlib import Path

import pytest

from noxus_local.accounts.store import create_account
from noxus_local.assets.store import AssetStore, Cap
from noxus_local.errors import AssetForbidden, AssetNotFound, InvalidMedia, LimitExceeded, ValidationError
from noxus_local.jobs.upkeep import sweep_files
from tests.media_samples import SCRIPT_SVG, ffmpeg_sample, noise_png, png_bytes

CAPS = {"image": Cap(50_000, "max_image_mb"), "audio": Cap(80_000, "max_audio_mb"),
        "video": Cap(100_000, "max_upload_mb")}


@pytest.fixture
def store(db, tmp_path: Path) -> AssetStore:
    return AssetStore(db, tmp_path / "assets")


def upload(store: AssetStore, data: bytes, category: str | None = None, account: str = "acme",
           quota: int = 0, chunk: int = 4096):
    intake = store.intake(CAPS)
    try:
        for i in range(0, len(data), chunk):
            intake.write(data[i:i + chunk])
        return store.add(account, intake.finish(), "f.bin", category, quota)
    except BaseException:
        intake.discard()
        raise


def files_on_disk(store: AssetStore) -> list[str]:
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


def test_same_bytes_twice_is_one_asset_and_one_file(store: AssetStore) -> None:
    first, created = upload(store, png_bytes(1), "logo")
    again, created_again = upload(store, png_bytes(1), "product_image")
    assert (created, created_again) == (True, False)
    assert again["id"] == first["id"] and again["category"] == "logo"
    assert files_on_disk(store) == [first["id"]]
    other, _ = upload(store, png_bytes(2))
    assert other["id"] != first["id"] and other["category"] == "image"  # inferred from the content


def test_kind_and_category_come_from_the_bytes(store: AssetStore, tmp_path: Path) -> None:
    row, _ = upload(store, ffmpeg_sample(tmp_path, "mp3"), "music")
    assert (row["type"], row["mime_type"], row["category"]) == ("audio", "audio/mpeg", "music")
    with pytest.raises(ValidationError) as info:
        upload(store, ffmpeg_sample(tmp_path, "wav"), "logo")
    assert "category" in info.value.details["field_errors"]
    assert files_on_disk(store) == [row["id"]]


def test_over_the_kind_limit_stops_while_streaming_and_leaves_nothing(store: AssetStore) -> None:
    big = noise_png(60_000)
    intake = store.intake(CAPS)
    written = 0
    with pytest.raises(LimitExceeded) as info:
        for i in range(0, len(big), 4096):
            intake.write(big[i:i + 4096])
            written = intake.size
    intake.discard()
    assert info.value.details == {"limit": "max_image_mb", "max": 0.05}
    assert written <= 50_000  # it stopped at the limit, not at the end of the file
    assert files_on_disk(store) == []


def test_zero_bytes_text_and_scripted_svg_refused(store: AssetStore) -> None:
    with pytest.raises(ValidationError):
        upload(store, b"")
    with pytest.raises(InvalidMedia):
        upload(store, b"just some text, not media")
    with pytest.raises(InvalidMedia):
        upload(store, SCRIPT_SVG)
    with pytest.raises(InvalidMedia):  # PNG magic bytes, but the rest is garbage
        upload(store, png_bytes(3)[:40])
    assert files_on_disk(store) == []


def test_quota_counts_live_assets_of_the_account(store: AssetStore) -> None:
    a = noise_png(20_000, seed=1)
    b = noise_png(20_000, seed=2)
    first, _ = upload(store, a, quota=len(a) + len(b) - 1)
    with pytest.raises(LimitExceeded) as info:
        upload(store, b, quota=len(a) + len(b) - 1)
    assert info.value.details["limit"] == "storage_quota"
    upload(store, a, quota=len(a))  # the same bytes again: no new storage, no quota needed
    store.delete(first["id"], "acme")
    upload(store, b, quota=len(a) + len(b) - 1)  # a deleted asset frees its space


def test_quota_holds_under_concurrent_uploads(store: AssetStore) -> None:
    blobs = [noise_png(10_000, seed=s) for s in range(8)]
    quota = sum(len(b) for b in blobs[:3]) + 100
    outcomes: list[str] = []

    def go(data: bytes) -> None:
        try:
            upload(store, data, quota=quota)
            outcomes.append("ok")
        except LimitExceeded:
            outcomes.append("413")

    threads = [threading.Thread(target=go, args=(b,)) for b in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.used_bytes("acme") <= quota
    assert outcomes.count("413") >= 5 and len(files_on_disk(store)) == outcomes.count("ok")


def test_other_account_403_unknown_and_deleted_404(store: AssetStore, db, tmp_path: Path) -> None:
    create_account(db, "rival", tier="free")
    row, _ = upload(store, png_bytes(4))
    with pytest.raises(AssetForbidden):
        store.get(row["id"], "rival")
    with pytest.raises(AssetForbidden):
        store.link_into(row["id"], "rival", tmp_path / "x")
    with pytest.raises(AssetNotFound):
        store.get("asset_doesnotexist", "acme")
    store.delete(row["id"], "acme")
    with pytest.raises(AssetNotFound) as info:
        store.link_into(row["id"], "acme", tmp_path / "x")
    assert info.value.details["reason"] == "deleted"
    assert files_on_disk(store) == []


def test_link_into_survives_delete_and_retention_keeps_assets(store: AssetStore, db, tmp_path: Path) -> None:
    row, _ = upload(store, png_bytes(5))
    work = tmp_path / "work" / "job_1"
    work.mkdir(parents=True)
    store.link_into(row["id"], "acme", work / "in_image")
    assert (work / "in_image").read_bytes() == png_bytes(5)
    sweep_files(db, tmp_path, retention_hours=0, now=10**12)  # every job and orphan folder is old
    assert store.file_of(row["id"]).read_bytes() == png_bytes(5)
    listed, total = store.page("acme", kind="image")
    assert total == 1 and listed[0]["id"] == row["id"]
    assert store.page("acme", kind="audio")[1] == 0


def test_sweep_removes_only_stale_leftovers(store: AssetStore) -> None:
    import os

    live, _ = upload(store, png_bytes(6))
    (store.root / ".incoming").mkdir(exist_ok=True)
    half = store.root / ".incoming" / "cut-upload"
    half.write_bytes(b"half")
    uncommitted = store.root / "asset_bbbbbbbbbbbbbbbbbbbbbbbb"
    uncommitted.write_bytes(b"no row")
    fresh = store.root / ".incoming" / "streaming-now"
    fresh.write_bytes(b"in flight")
    for path in (half, uncommitted, store.file_of(live["id"])):
        os.utime(path, (1, 1))
    assert store.sweep(older_than=1000) == 2
    assert files_on_disk(store) == sorted([live["id"], "streaming-now"])


def test_image_over_the_pixel_limit_is_413_before_decoding(store: AssetStore) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # 144 Mpx in a few KB: a decompression bomb
    intake = store.intake(CAPS)
    intake.write(buffer.getvalue())
    with pytest.raises(LimitExceeded) as info:
        store.add("acme", intake.finish(), "bomb.png", None, 0, max_pixels=40_000_000)
    assert info.value.details["limit"] == "max_image_pixels"
    assert files_on_disk(store) == []
    buffer = io.BytesIO()
    Image.new("1", (20_000, 10_000)).save(buffer, "PNG")  # past Pillow's own bomb limit too
    intake = store.intake(CAPS)
    intake.write(buffer.getvalue())
    with pytest.raises(LimitExceeded):
        store.add("acme", intake.finish(), "bomb.png", None, 0, max_pixels=400_000_000)


def test_public_url_signature_expires_and_is_not_an_output_signature(tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    from noxus_local.assets.files import FileStore

    files = FileStore(tmp_path, b"secret")
    query = parse_qs(urlsplit(files.signed_asset_url("asset_" + "a" * 24, ttl=60)).query)
    expires, sig = int(query["expires"][0]), query["sig"][0]
    assert files.verify_asset("asset_" + "a" * 24, expires, sig)
    assert not files.verify_asset("asset_" + "b" * 24, expires, sig)
    assert not files.verify("asset", "asset_" + "a" * 24, expires, sig)  # not usable on /api/v1/files
    old = parse_qs(urlsplit(files.signed_asset_url("asset_" + "a" * 24, ttl=60, now=0)).query)
    assert not files.verify_asset("asset_" + "a" * 24, int(old["expires"][0]), old["sig"][0])


def test_concurrent_uploads_of_the_same_bytes_make_one_asset(store: AssetStore) -> None:
    data = noise_png(20_000, seed=9)
    ids: list[str] = []

    def go() -> None:
        row, _ = upload(store, data)
        ids.append(row["id"])

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 6 and len(set(ids)) == 1
    assert files_on_disk(store) == [ids[0]] and store.used_bytes("acme") == len(data)
