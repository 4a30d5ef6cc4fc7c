"""The sign-in gate in the real app (AppTest): what a session sees before and after
signing in, on a network address and on localhost, and who may change the case base."""
from __future__ import annotations

import re

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from knowledge.auth import THROTTLE, hash_password
from knowledge.settings import Settings
from tests.test_app import ANNA, APP, TIMEOUT, all_text, app_env, ask, filled  # noqa: F401  (fixtures)
from tests.test_auth import OIDC

TEAM_PW, EDITOR_PW = "team pass 1", "editor pass 2"
INTERVIEW_TEXT = ("Anna Holm", "Vejby Bibliotek", "Læsecaféen", "Bo Berg", "anna.txt")


@pytest.fixture(scope="module")
def hashes() -> tuple[str, str]:
    return hash_password(TEAM_PW), hash_password(EDITOR_PW)


@pytest.fixture(params=["0.0.0.0", "::"])
def network(request: pytest.FixtureRequest) -> str:
    """The server listens on every interface (as `streamlit run app.py --server.address 0.0.0.0`)."""
    config.set_option("server.address", request.param)
    return request.param


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time passes for the throttle, so a wait it imposes holds for the whole test."""
    monkeypatch.setattr(THROTTLE, "clock", lambda: 1000.0)


def start(secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets.update(secrets or {})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shows_nothing_private(at: AppTest) -> None:
    """No page ran: no interview text, no navigation, no chat."""
    text = all_text(at)
    assert not [t for t in INTERVIEW_TEXT if t in text]
    assert not at.chat_input and not any("Ask the interviews" in t.value for t in at.title)
    assert not at.get("page_link") and not at.sidebar.button


def sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="sign-in-password").input(password)
    at.button(key="sign-in-go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_network_without_sign_in_shows_only_the_reason(filled: Settings, network: str) -> None:
    at = start()
    shows_nothing_private(at)
    assert not at.text_input and not at.button
    [error] = at.error
    assert "no sign-in is configured" in error.value
    assert "CASEBASE_PASSWORD_HASH" in error.value and "hash-password" in error.value


def test_local_without_sign_in_is_open(filled: Settings) -> None:
    at = start()
    assert any("Ask the interviews" in t.value for t in at.title)
    assert "sign-in-password" not in [t.key for t in at.text_input]
    assert not [c for c in at.sidebar.caption if "Signed in" in c.value]  # nobody to sign out
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    assert "Anna Holm" in all_text(at)


def test_wrong_password_is_refused_right_one_opens_the_pages(
    filled: Settings, network: str, hashes: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBASE_PASSWORD_HASH", hashes[0])
    at = start()
    shows_nothing_private(at)
    assert at.text_input(key="sign-in-password").label == "Password"

    sign_in(at, "wrong")
    shows_nothing_private(at)
    assert any("Wrong password" in e.value for e in at.error)

    sign_in(at, TEAM_PW)
    assert any("Ask the interviews" in t.value for t in at.title)
    assert not at.error
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    assert "Anna Holm" in all_text(at)
    assert "Signed in (editor)" in [c.value for c in at.sidebar.caption]  # no editor password: may do everything

    at.sidebar.button(key="sign-out").click().run()
    shows_nothing_private(at)
    assert at.text_input(key="sign-in-password")


def test_repeated_failures_lock_the_client_out(
    filled: Settings, hashes: tuple[str, str], monkeypatch: pytest.MonkeyPatch, frozen_clock: None
) -> None:
    monkeypatch.setenv("CASEBASE_PASSWORD_HASH", hashes[0])
    at = start()
    for _ in range(THROTTLE.free + 1):
        sign_in(at, "guess")
    assert any("Wait 1 seconds" in e.value for e in at.error)
    sign_in(at, TEAM_PW)  # during the wait even the right password is not checked
    shows_nothing_private(at)
    assert any("Too many wrong passwords" in e.value for e in at.error)

    other = start()  # a new session from the same client waits as well
    sign_in(other, TEAM_PW)
    assert any("Too many wrong passwords" in e.value for e in other.error)


def test_password_in_secrets_toml_is_required_on_localhost(filled: Settings, hashes: tuple[str, str]) -> None:
    at = start({"password_hash": hashes[0]})
    shows_nothing_private(at)
    sign_in(at, TEAM_PW)
    assert any("Ask the interviews" in t.value for t in at.title)


def test_plain_password_instead_of_a_hash_is_refused(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBASE_PASSWORD_HASH", TEAM_PW)
    at = start()
    shows_nothing_private(at)
    assert not at.text_input
    assert any("not an argon2 hash" in e.value for e in at.error)


def test_oidc_offers_its_sign_in_button(filled: Settings, network: str) -> None:
    at = start({"auth": dict(OIDC)})
    shows_nothing_private(at)
    assert [b.label for b in at.button] == ["Sign in with your organisation"]
    assert not at.text_input  # no password configured


def test_editor_password_guards_ingest(filled: Settings, hashes: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBASE_PASSWORD_HASH", hashes[0])
    monkeypatch.setenv("CASEBASE_EDITOR_PASSWORD_HASH", hashes[1])
    at = start()
    sign_in(at, TEAM_PW)
    assert "Signed in (reader)" in [c.value for c in at.sidebar.caption]
    at.switch_page("views/ingest.py").run()
    assert not at.exception
    assert not at.get("file_uploader") and not [b for b in at.button if b.key in ("resync", "rebuild")]
    assert any("need the editor password" in i.value for i in at.info)

    at.text_input(key="ingest-editor-password").input(TEAM_PW)
    at.button(key="ingest-editor-go").click().run()
    assert any("Wrong password" in e.value for e in at.error) and not at.get("file_uploader")

    at.text_input(key="ingest-editor-password").input(EDITOR_PW)
    at.button(key="ingest-editor-go").click().run()
    assert at.get("file_uploader") and at.button(key="resync")
    assert "Signed in (editor)" in [c.value for c in at.sidebar.caption]


def test_editor_password_signs_in_as_editor(filled: Settings, hashes: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBASE_PASSWORD_HASH", hashes[0])
    monkeypatch.setenv("CASEBASE_EDITOR_PASSWORD_HASH", hashes[1])
    at = start()
    sign_in(at, EDITOR_PW)
    at.switch_page("views/ingest.py").run()
    assert at.get("file_uploader") and at.button(key="resync")


def test_oidc_signed_in_user_sees_the_pages(filled: Settings, network: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(OIDC)
    at.user = {"is_logged_in": True, "email": "researcher@example.org"}
    at.run()
    assert not at.exception
    assert any("Ask the interviews" in t.value for t in at.title)
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.sidebar.caption]  # Markdown escapes undone
    assert "Signed in as researcher@example.org (editor)" in captions

    at.user = {"is_logged_in": False}  # the identity cookie is gone (signed out elsewhere, expired)
    at.run()
    shows_nothing_private(at)
    assert [b.label for b in at.button] == ["Sign in with your organisation"]


def test_unreadable_secrets_file_keeps_the_app_closed(filled: Settings, tmp_path) -> None:
    """Streamlit treats a secrets.toml that does not parse as absent; a password_hash in it
    must not be dropped silently, so the app refuses until the file is fixed."""
    broken = tmp_path / "secrets.toml"
    broken.write_text('password_hash = "$argon2id$unterminated\n', encoding="utf-8")
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(broken)])
    try:
        at = start()
    finally:
        config.set_option("secrets.files", before)
    shows_nothing_private(at)
    assert any("is not valid TOML" in e.value for e in at.error)
