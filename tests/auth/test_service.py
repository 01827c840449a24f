"""AUTH-1/4/5/6/7: login throttles that an attacker cannot turn against the real user, sessions that
end on the server, and logins whose cost does not tell which usernames exist."""

from __future__ import annotations

import pytest

from poolcrm.auth import service
from poolcrm.auth.service import InvalidCredentials
from poolcrm.errors import TooManyRequests
from tests.conftest import PASSWORD, counted

SECRET = "test-secret"
HOME, ATTACKER = "192.168.1.5", "10.0.0.66"


def _fail(database, username: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        with database.transaction() as s, pytest.raises(InvalidCredentials):
            service.authenticate(s, username, "wrong-password", address)


def _login(database, username: str, address: str) -> str:
    with database.transaction() as s:
        user = service.authenticate(s, username, PASSWORD, address)
        return service.issue_token(s, SECRET, user, address)


def _refusal(database, username: str, address: str) -> TooManyRequests:
    with database.transaction() as s, pytest.raises(TooManyRequests) as caught:
        service.authenticate(s, username, PASSWORD, address)
    return caught.value


def test_auth1_failures_at_another_address_do_not_lock_the_user_out_at_home(database, make_user):
    make_user("rep")
    _login(database, "rep", HOME)
    _fail(database, "rep", ATTACKER, times=5)
    refusal = _refusal(database, "rep", ATTACKER)
    assert refusal.rule == "AUTH-1" and int(refusal.headers["Retry-After"]) > 0
    assert _login(database, "rep", HOME)


def test_auth5_many_failures_pause_unknown_addresses_but_not_the_usual_one(database, make_user):
    make_user("rep")
    _login(database, "rep", HOME)
    for n in range(50):
        _fail(database, "rep", f"10.0.{n // 4}.{n % 4 + 1}")
    assert _refusal(database, "rep", "172.16.0.9").rule == "AUTH-5"
    assert _login(database, "rep", HOME)


def test_auth4_one_address_guessing_many_usernames_pauses(database, make_user):
    make_user("rep")
    for n in range(20):
        _fail(database, f"nobody{n}", ATTACKER)
    assert _refusal(database, "rep", ATTACKER).rule == "AUTH-4"
    assert _login(database, "rep", HOME)


def test_auth6_logout_ends_the_session_on_the_server(database, make_user):
    make_user("rep")
    token = _login(database, "rep", HOME)
    other = _login(database, "rep", HOME)
    with database.transaction() as s:
        assert service.user_from_token(s, SECRET, token).username == "rep"
        service.end_session(s, SECRET, token)
    with database.transaction() as s:
        with pytest.raises(service.NotAuthenticated):
            service.user_from_token(s, SECRET, token)
        assert service.user_from_token(s, SECRET, other).username == "rep"


def test_auth7_an_unknown_username_costs_one_hash_verification_like_a_known_one(
    database, make_user, monkeypatch
):
    make_user("rep")
    calls: list[str] = []
    real = service.verify_password

    def counting(hashed: str, password: str) -> bool:
        calls.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(service, "verify_password", counting)
    _fail(database, "rep", HOME)
    _fail(database, "no-such-user", HOME)
    assert len(calls) == 2 and calls[1].startswith("$argon2")


def test_auth1_a_success_starts_the_pairs_count_again(database, make_user):
    make_user("rep")
    _fail(database, "rep", ATTACKER, times=4)
    _login(database, "rep", ATTACKER)
    _fail(database, "rep", ATTACKER, times=4)
    assert _login(database, "rep", ATTACKER)


def test_auth1_4_5_a_clean_sign_in_reads_the_failures_once_and_writes_only_its_session(database, make_user):
    """Issue 22: 300 people signing in at once — the three throttles read their failures in one
    statement; with none, nothing is deleted and where the user signs in from is not looked up."""
    make_user("rep")
    _login(database, "rep", HOME)
    with counted(database) as seen:
        _login(database, "rep", ATTACKER)
    failures = [s for s in seen if "login_failures" in s]
    assert len(failures) == 1 and failures[0].lstrip().startswith("SELECT"), seen
    writes = [s for s in seen if not s.lstrip().startswith(("SELECT", "BEGIN"))]
    assert len(writes) == 1 and "INSERT INTO auth_sessions" in writes[0], writes
    # with failures enough to pause the username, the AUTH-5 lookup comes back (the usual address
    # passes), and with the pair's own failure the AUTH-1 reset
    _fail(database, "rep", HOME)
    for n in range(49):  # 50 in all: the username pauses everywhere but at a known address
        _fail(database, "rep", f"10.0.{n // 4}.{n % 4 + 1}")
    with counted(database) as seen:
        _login(database, "rep", HOME)
    assert any(s.lstrip().startswith("DELETE FROM login_failures") for s in seen), seen
    assert any("auth_sessions JOIN users" in " ".join(s.split()) for s in seen), seen
