"""Operator sessions and the login throttle, as plain objects with a fake clock."""

from __future__ import annotations

from pathlib import Path

from gate.web.sessions import LoginThrottle, SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_session_lives_while_used_and_ends_when_idle() -> None:
    """A session is found by its token while it is used, and is gone after the idle time."""
    clock = Clock()
    store = SessionStore(idle_seconds=60, lifetime_seconds=3600, clock=clock)
    token, session = store.create("ops")
    for _ in range(3):
        clock.now += 50
        assert session is store.get(token)
    clock.now += 60
    assert None is store.get(token)
    assert 0 == len(store)


def test_session_ends_after_its_lifetime_however_used() -> None:
    """A session used all the time still ends at its lifetime (one shift)."""
    clock = Clock()
    store = SessionStore(idle_seconds=60, lifetime_seconds=120, clock=clock)
    token, _ = store.create("ops")
    clock.now += 59
    assert store.get(token) is not None
    clock.now += 59
    assert store.get(token) is not None
    clock.now += 2
    assert None is store.get(token)


def test_tokens_are_random_and_dropped_on_logout() -> None:
    """Each login gets a fresh token and CSRF token; a dropped or unknown token finds nothing."""
    store = SessionStore()
    token_a, a = store.create("ops")
    token_b, b = store.create("ops")
    assert token_a != token_b
    assert a.csrf != b.csrf
    assert 43 <= len(token_a)
    assert store.drop(token_a)
    assert None is store.get(token_a)
    assert None is store.get("")
    assert None is store.get("not-a-token")
    assert b is store.get(token_b)


def test_csrf_token_must_match_exactly() -> None:
    """Only the session's own CSRF token matches; an empty one never does."""
    _, session = SessionStore().create("ops")
    assert session.csrf_matches(session.csrf)
    assert not session.csrf_matches("")
    assert not session.csrf_matches(session.csrf[:-1])


def test_store_is_bounded() -> None:
    """Past the bound, the least recently used session goes first."""
    store = SessionStore(max_sessions=2)
    first, _ = store.create("a")
    second, _ = store.create("b")
    store.get(first)
    third, _ = store.create("c")
    assert (True, False, True) == (
        store.get(first) is not None,
        store.get(second) is not None,
        store.get(third) is not None,
    )


def test_throttle_blocks_after_failures_until_the_window_passes() -> None:
    """Five wrong passwords block further tries from that address for the window; a
    success forgets the failures."""
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window_seconds=60, clock=clock)
    for _ in range(5):
        assert 0.0 == throttle.wait("addr:a")
        throttle.failed("addr:a")
    assert 60.0 == throttle.wait("addr:a")
    assert 0.0 == throttle.wait("addr:b")
    clock.now += 30
    assert 30.0 == throttle.wait("addr:a")
    clock.now += 30
    assert 0.0 == throttle.wait("addr:a")
    throttle.failed("addr:b")
    throttle.succeeded("addr:b")
    assert 0.0 == throttle.wait("addr:b")


def test_a_signed_session_is_taken_back_after_a_restart_until_it_ends(tmp_path: Path) -> None:
    """With a key folder, a token survives a new store (a restart) with the same operator and
    CSRF token; a token with one character changed, or past its lifetime, is refused; the key
    file is created once, readable by the gate's user only."""
    wall = [1_000_000.0]
    first = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    token, session = first.create("ops")
    assert 0o600 == (tmp_path / "page-session.key").stat().st_mode & 0o777
    again = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    restored = again.get(token)
    assert restored is not None
    assert ("ops", session.csrf) == (restored.operator, restored.csrf)
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert SessionStore(key_folder=tmp_path, wall=lambda: wall[0]).get(forged) is None
    other = token.replace(token.split(".")[1], "YWRtaW4")  # "admin", same signature
    assert SessionStore(key_folder=tmp_path, wall=lambda: wall[0]).get(other) is None
    wall[0] += 3600
    late = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    assert late.get(token) is None


def test_a_logout_outlives_a_restart_and_is_forgotten_once_the_session_would_have_ended(
    tmp_path: Path,
) -> None:
    """A dropped signed token is refused by a new store (a restart); once its lifetime is
    over, the revocation leaves the file."""
    wall = [1_000_000.0]
    first = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    token, _ = first.create("ops")
    kept, _ = first.create("ops")
    assert first.drop(token)
    again = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    assert again.get(token) is None
    assert again.get(kept) is not None
    assert 1 == len((tmp_path / "page-session.revoked").read_text().splitlines())
    wall[0] += 3601
    late = SessionStore(key_folder=tmp_path, lifetime_seconds=3600, wall=lambda: wall[0])
    assert late.get(token) is None
    assert "" == (tmp_path / "page-session.revoked").read_text()
