"""Reference data (`db.reference`): read once per process while `reference_stamp` stands; a change
by anyone — this process, another, a script on its own connection — counts from the next session
on; a session that wrote reads its own change and never hands it to others (issue 22)."""

from __future__ import annotations

from sqlalchemy import insert, select, text, update

from poolcrm import clock
from poolcrm.db import reference
from poolcrm.org.models import Department, User


def _names(database, loads: list[int]):  # noqa: ANN001, ANN202
    def read(s):  # noqa: ANN001, ANN202
        def load() -> frozenset[str]:
            loads.append(1)
            return frozenset(s.scalars(select(Department.name)))

        return reference(s, "test.department_names", load)

    return read


def _stamp(database) -> int:  # noqa: ANN001
    with database.engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(n), 0) FROM reference_stamp")).scalar_one())


def test_reference_data_is_read_once_per_process_until_anyone_changes_it(database):
    loads: list[int] = []
    read = _names(database, loads)
    with database.transaction(write=False) as s:
        assert read(s) == frozenset()
        assert read(s) == frozenset()
    with database.transaction(write=False) as s:
        assert read(s) == frozenset()
    assert len(loads) == 1  # one read for two sessions

    with database.transaction() as s:  # a use case's change, through the ORM
        s.add(Department(name="华东销售部", kind="sales", created_at=clock.now()))
    with database.transaction(write=False) as s:
        assert read(s) == {"华东销售部"}
    assert len(loads) == 2

    before = _stamp(database)
    with database.engine.begin() as conn:  # a script on a connection of its own: the trigger counts it
        conn.execute(
            insert(Department.__table__).values(name="华南销售部", kind="sales", created_at=clock.now())
        )
    assert _stamp(database) == before + 1
    with database.transaction(write=False) as s:
        assert read(s) == {"华东销售部", "华南销售部"}
    with database.transaction(write=False) as s:
        read(s)
    assert len(loads) == 3


def test_a_session_that_wrote_reads_its_own_change_and_never_hands_it_to_others(database):
    loads: list[int] = []
    read = _names(database, loads)
    with database.transaction(write=False) as s:
        assert read(s) == frozenset()
    s = database.session()
    try:
        s.add(Department(name="未提交的部门", kind="sales", created_at=clock.now()))
        s.flush()
        assert read(s) == {"未提交的部门"}  # its own change, from the database
        s.rollback()
    finally:
        s.close()
    with database.transaction(write=False) as s:
        assert read(s) == frozenset()  # the rolled-back change reached nobody


def test_a_user_counts_as_reference_data_only_where_it_decides_who_is_a_rep_or_the_tree(database, make_user):
    rep = make_user("ref_rep", ["sales"])
    before = _stamp(database)
    with database.transaction() as s:  # a new password, a new language: nothing reference data holds
        s.execute(
            update(User).where(User.id == rep).values(token_version=User.token_version + 1, language="en")
        )
    assert _stamp(database) == before
    with database.transaction() as s:
        s.execute(update(User).where(User.id == rep).values(active=False))
    assert _stamp(database) == before + 1


def test_a_textual_select_reads_but_a_textual_write_makes_the_session_forget(database):
    """A `text("SELECT …")` (a duplicate check's postings walk, an advisory lock) is a read: the
    session keeps what it read and still takes the process's copy; a textual UPDATE may have changed
    anything, so the session reads from the database from then on (issue 22: a registration read the
    policy twice)."""
    loads: list[int] = []
    read = _names(database, loads)
    with database.transaction(write=False) as s:
        read(s)
    with database.transaction() as s:
        s.execute(text("SELECT 1"))
        s.execute(text("\n  select count(*) FROM departments"))
        read(s)
        read(s)
    assert len(loads) == 1  # the process's copy, both times
    with database.transaction() as s:
        read(s)
        s.execute(text("UPDATE departments SET name = name WHERE id = 0"))
        assert read(s) == frozenset()
    assert len(loads) == 2  # after the write, from the database
