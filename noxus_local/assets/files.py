"""Uploads and outputs on disk, and the signed URLs that serve outputs.

Layout under the data dir: ``work/<job_id>/`` holds a job's uploads while it
runs; ``outputs/<job_id>/<filename>`` its result. Outputs are written to a
temporary name and renamed, so a crash never leaves a half-written file under
a served name. URLs are signed with HMAC-SHA256 over path and expiry, so a
client can fetch them without its key until they expire.

Example::

    store = FileStore(Path("noxus-data"), secret=b"...")
    path = store.write_output("job_ab", "qr.png", png_bytes)
    url = store.signed_url("job_ab", "qr.png", ttl=86400)
    # /api/v1/files/job_ab/qr.png?expires=1767225600&sig=3f1c...
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from noxus_local.store.db import private_dir

NO_SPACE_SUFFIX = ".nospace"  # work/<job_id>.nospace: the job failed on a full disk (mark_no_space)


class FileStore:
    def __init__(self, data_dir: Path, secret: bytes) -> None:
        self.work_root = data_dir / "work"
        self.output_root = data_dir / "outputs"
        self.asset_root = data_dir / "assets"  # core.assets; outside work/ and outputs/, so retention skips it
        self.secret = secret

    def work_dir(self, job_id: str) -> Path:
        path = self.work_root / job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def discard_work(self, job_id: str) -> None:
        shutil.rmtree(self.work_root / job_id, ignore_errors=True)

    def discard_output(self, job_id: str) -> None:
        shutil.rmtree(self.output_root / job_id, ignore_errors=True)

    def mark_no_space(self, job_id: str) -> None:
        """A job that failed on a full disk: free its files and leave a durable mark that needs no space.

        The work folder is renamed to ``work/<job_id>.nospace`` and emptied (a
        rename and deletes allocate nothing, so they work on a full disk) and the
        job's outputs go. Recovery fails a job with this mark instead of running it
        again, also when the failure could not be written to SQLite (issue 17 item 2).
        Example: ``files.mark_no_space("job_ab")`` → ``work/job_ab.nospace/`` (empty).
        """
        marker = self._marker(job_id)
        try:
            if not marker.is_dir():
                os.replace(self.work_root / job_id, marker)
        except FileNotFoundError:  # no work folder: a mark of its own, which may fail on a full disk
            with contextlib.suppress(OSError):
                marker.mkdir(parents=True)
        if marker.is_dir():
            for child in list(marker.iterdir()):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        self.discard_work(job_id)  # the mark existed already: this attempt's folder goes too
        self.discard_output(job_id)

    def no_space_marked(self, job_id: str) -> bool:
        return self._marker(job_id).is_dir()

    def clear_no_space(self, job_id: str) -> None:
        """Once the job's failure is settled in SQLite, the mark has done its work."""
        shutil.rmtree(self._marker(job_id), ignore_errors=True)

    def _marker(self, job_id: str) -> Path:
        return self.work_root / f"{job_id}{NO_SPACE_SUFFIX}"

    def output_path(self, job_id: str, filename: str) -> Path:
        return self.output_root / job_id / filename

    def write_output(self, job_id: str, filename: str, data: bytes | Path) -> Path:
        """Atomically place ``data`` at outputs/<job_id>/<filename>."""
        final = self.output_path(job_id, filename)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        try:
            if isinstance(data, Path):
                shutil.copyfile(data, tmp)
            else:
                with open(tmp, "wb") as fh:
                    fh.write(data)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final

    def _sig(self, job_id: str, filename: str, expires: int) -> str:
        msg = f"{job_id}/{filename}:{expires}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def signed_url(self, job_id: str, filename: str, ttl: int, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + ttl)
        sig = self._sig(job_id, filename, expires)
        return f"/api/v1/files/{job_id}/{quote(filename)}?expires={expires}&sig={sig}"

    def verify(self, job_id: str, filename: str, expires: int, sig: str) -> bool:
        """Constant-time check; bytes on both sides, since ``compare_digest`` raises
        TypeError on a non-ASCII ``str`` (``sig=é`` must be a refusal, not a crash)."""
        if expires < time.time():
            return False
        given = sig.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(self._sig(job_id, filename, expires).encode(), given)


    def signed_asset_url(self, asset_id: str, ttl: int, now: float | None = None) -> str:
        """An asset's publicUrl. The signed text has no ``/``, unlike an output's, so neither
        signature can be replayed on the other route."""
        expires = int((time.time() if now is None else now) + ttl)
        return f"/api/v1/assets/{asset_id}/content?expires={expires}&sig={self._asset_sig(asset_id, expires)}"

    def verify_asset(self, asset_id: str, expires: int, sig: str) -> bool:
        return expires >= time.time() and hmac.compare_digest(self._asset_sig(asset_id, expires), sig)

    def _asset_sig(self, asset_id: str, expires: int) -> str:
        return hmac.new(self.secret, f"asset:{asset_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def load_secret(data_dir: Path, configured: str) -> bytes:
    """The configured secret, or one generated once into the data dir (0600)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        private_dir(data_dir)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
