from pathlib import Path

import pytest

from noxus_local.accounts.store import create_account
from noxus_local.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A migrated SQLite file with one account, 'acme', on the free tier."""
    database = Database(tmp_path / "noxus.db")
    database.migrate()
    create_account(database, "acme", tier="free")
    yield database
    database.close()
