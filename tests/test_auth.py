"""The privacy rules without Streamlit: which addresses are local, when the app must
refuse, password hashing and the throttle on wrong guesses; and the hash-password CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from knowledge.__main__ import cli
from knowledge.auth import Throttle, decide, hash_password, is_loopback, looks_like_hash, oidc_providers, verify_password

OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-secret-for-the-cookie",
    "client_id": "casebase",
    "client_secret": "xyz",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


@pytest.fixture(scope="module")
def team_hash() -> str:
    return hash_password("correct horse")


# -- addresses ------------------------------------------------------------------------------
@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]",
                                     "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", " 127.0.0.1 "])
def test_loopback_addresses(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "[::]", "", None, "192.168.1.20", "10.0.0.1",
                                     "fe80::1", "casebase.internal", "localhost.example.com"])
def test_network_addresses(address: str | None) -> None:
    # None and "" are Streamlit's default: every interface
    assert not is_loopback(address)


# -- the decision -------------------------------------------------------------------------
def test_local_without_sign_in_is_open() -> None:
    access = decide("127.0.0.1")
    assert access.open and access.refusal is None


@pytest.mark.parametrize("address", ["0.0.0.0", "::", None, "192.168.1.20"])
def test_network_without_sign_in_is_refused_with_what_to_set(address: str | None) -> None:
    access = decide(address)
    assert access.refusal and not access.open
    assert "CASEBASE_PASSWORD_HASH" in access.refusal and "hash-password" in access.refusal
    assert "[auth]" in access.refusal and "127.0.0.1" in access.refusal


def test_network_with_password_needs_sign_in(team_hash: str) -> None:
    access = decide("0.0.0.0", team_hash)
    assert access.refusal is None and access.password and not access.open and not access.editor


def test_configured_password_is_required_on_localhost_too(team_hash: str) -> None:
    access = decide("127.0.0.1", team_hash)
    assert access.password and not access.open


def test_editor_password_marks_editing_as_guarded(team_hash: str) -> None:
    access = decide("0.0.0.0", team_hash, hash_password("editor pw"))
    assert access.editor and access.password


def test_plain_password_in_place_of_a_hash_is_refused() -> None:
    access = decide("127.0.0.1", "hunter2")
    assert access.refusal and "CASEBASE_PASSWORD_HASH is not an argon2 hash" in access.refusal
    assert "hash-password" in access.refusal
    assert "CASEBASE_EDITOR_PASSWORD_HASH" in decide("127.0.0.1", None, "hunter2").refusal


def test_network_with_oidc_needs_sign_in() -> None:
    access = decide("0.0.0.0", auth_section=OIDC)
    assert access.refusal is None and access.oidc == ["default"] and not access.open


def test_half_configured_oidc_refuses_even_locally() -> None:
    access = decide("127.0.0.1", auth_section={"redirect_uri": OIDC["redirect_uri"]})
    assert access.refusal and "cookie_secret" in access.refusal


def test_oidc_named_providers() -> None:
    base = {k: OIDC[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: OIDC[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    assert oidc_providers({**base, "google": provider, "okta": provider}) == ["google", "okta"]
    assert oidc_providers(None) == []
    with pytest.raises(ValueError, match="names no provider"):
        oidc_providers({**base, "google": {"client_id": "x"}})
    with pytest.raises(ValueError, match="cannot contain '_'"):
        oidc_providers({**base, "my_idp": provider})


# -- hashing ------------------------------------------------------------------------------
def test_hash_and_verify(team_hash: str) -> None:
    assert team_hash.startswith("$argon2id$") and looks_like_hash(team_hash)
    assert "correct horse" not in team_hash
    assert verify_password(team_hash, "correct horse")
    assert not verify_password(team_hash, "correct horse ")
    assert not verify_password(team_hash, "")
    assert hash_password("correct horse") != team_hash  # salted


def test_verify_never_raises_on_a_bad_hash() -> None:
    assert not verify_password("not a hash", "x")
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "x")
    assert not looks_like_hash("$argon2id$v=19$broken") and not looks_like_hash("hunter2")


def test_empty_password_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


# -- throttling ---------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_lets_typos_through_then_doubles_up_to_a_cap() -> None:
    clock = Clock()
    t = Throttle(free=3, base=1.0, cap=8.0, clock=clock)
    assert [t.failed("client:a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert t.wait("client:a") == 0.0
    waits = []
    for _ in range(5):
        waits.append(t.failed("client:a"))
        clock.now += waits[-1]  # the attacker waits exactly as long as told
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_throttle_counts_per_client_across_sessions() -> None:
    clock = Clock()
    t = Throttle(free=1, base=2.0, clock=clock)
    t.failed("client:a", "session:1")
    t.failed("client:a", "session:2")  # a fresh session (page reload) from the same client
    assert t.failures("client:a") == 2 and t.failures("session:2") == 1
    assert t.wait("client:a", "session:3") == 2.0  # a third session still waits
    assert t.wait("client:b", "session:4") == 0.0  # another client does not
    clock.now += 1.5
    assert t.wait("client:a") == pytest.approx(0.5)


def test_throttle_success_and_time_forget() -> None:
    clock = Clock()
    t = Throttle(free=0, base=1.0, forget_after=60.0, clock=clock)
    t.failed("session:1")
    t.succeeded("session:1")
    assert t.failures("session:1") == 0 and t.wait("session:1") == 0.0
    for _ in range(5):
        t.failed("client:a")
    clock.now += 61
    assert t.wait("client:a") == 0.0
    assert t.failed("client:a") == 1.0  # counting starts afresh


def test_throttle_memory_is_bounded() -> None:
    clock = Clock()
    t = Throttle(max_keys=100, clock=clock)
    for i in range(1000):
        clock.now += 0.001
        t.failed(f"client:{i}")
    assert len(t._records) <= 100
    assert t.failures("client:999") == 1  # the newest are kept


# -- the CLI ------------------------------------------------------------------------------
def test_hash_password_cli_from_a_pipe() -> None:
    result = CliRunner().invoke(cli, ["hash-password"], input="  pass word  \nsecond line\n")
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip()
    assert printed.startswith("$argon2id$") and "pass word" not in result.output
    assert verify_password(printed, "  pass word  ")  # spaces belong to the password, the newline does not
    assert not verify_password(printed, "pass word")


def test_hash_password_cli_refuses_an_empty_password() -> None:
    result = CliRunner().invoke(cli, ["hash-password"], input="\n")
    assert result.exit_code == 1
    assert "password is empty" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_hash_password_cli_help() -> None:
    result = CliRunner().invoke(cli, ["hash-password", "--help"])
    assert result.exit_code == 0
    assert "argon2" in result.output and "CASEBASE_PASSWORD_HASH" in result.output
    assert "hash-password" in CliRunner().invoke(cli, ["--help"]).output
