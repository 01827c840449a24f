import pytest
from sqlalchemy import select

from poolcrm.backup import backup, restore
from poolcrm.org.models import User


def test_gov3_backup_and_restore_give_back_an_identical_database(database, make_user, tmp_path):
    make_user("keeper", display_name="保留的用户")
    dump = backup(database.url, tmp_path / "backup.dump")
    assert dump.exists() and dump.stat().st_size > 0
    make_user("later", display_name="备份后新增")
    database.dispose()
    restore(database.url, dump)
    with database.transaction(write=False) as s:
        names = sorted(s.scalars(select(User.username)))
    assert names == ["keeper"]


def test_gov3_restore_of_missing_file_fails_cleanly(database, tmp_path):
    with pytest.raises(FileNotFoundError):
        restore(database.url, tmp_path / "missing.dump")
