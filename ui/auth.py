"""The sign-in gate: app.py calls ``gate()`` before ``st.navigation``, so until it passes
no page runs and no interview text reaches the browser.

The rules are knowledge/auth.py's; this applies them to the running server: the address
it really listens on (``server.address``, so ``streamlit run app.py --server.address
0.0.0.0`` is covered as well as ``make run``), the hashes from the environment, ``.env``
or ``.streamlit/secrets.toml``, and Streamlit's own OIDC sign-in (``st.login``).
"""
from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from knowledge.auth import THROTTLE, Access, decide, verify_password
from ui.render import show_error
from ui.state import AppError, current_settings
from ui.text import escape_md

SIGNED_IN = "auth-signed-in"  # session_state: {"role": "team"|"editor", "how": "password"|"oidc", "hashes": ...}
ACCESS = "auth-access"  # session_state: this run's Access, for can_edit() on the pages
SESSION_TOKEN = "auth-session"  # session_state: a random id, the throttle's per-session key
EDIT_NOTE = "Uploading, resyncing, rebuilding and erasing need the editor password."


def _secret(key: str) -> Any:
    """A value from .streamlit/secrets.toml, or None when there is no such file or key.
    A file that exists but does not parse raises: Streamlit would treat it as absent,
    which would quietly drop a sign-in configured there."""
    if st.secrets.load_if_toml_exists():
        return st.secrets.get(key)
    broken = [f for f in st.get_option("secrets.files") or [] if Path(f).is_file()]
    if broken:
        raise AppError("Sign-in cannot be checked", f"{broken[0]} is not valid TOML.",
                       ["Fix or remove that file; the app shows nothing until then."])
    return None


def _config() -> tuple[Access, str | None, str | None]:
    """This run's decision and the (team, editor) hashes; the environment and .env win
    over secrets.toml, as they do for every other setting."""
    try:
        settings = current_settings()
        team = settings.password_hash.get_secret_value() if settings.password_hash else None
        editor = settings.editor_password_hash.get_secret_value() if settings.editor_password_hash else None
        team = team or _str(_secret("password_hash"))
        editor = editor or _str(_secret("editor_password_hash"))
        auth = _secret("auth")
    except AppError:
        raise
    except Exception as exc:  # an unreadable secrets file or folder
        raise AppError("Sign-in cannot be checked", str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                       ["Fix or remove .streamlit/secrets.toml; the app shows nothing until then."]) from exc
    auth = dict(auth) if isinstance(auth, Mapping) else None
    return decide(st.get_option("server.address"), team, editor, auth), team, editor


def _str(value: Any) -> str | None:
    """A secret as text; an empty one counts as not set."""
    if value is None:
        return None
    return str(value).strip() or None


def _throttle_keys() -> tuple[str, str]:
    token = st.session_state.setdefault(SESSION_TOKEN, secrets.token_hex(16))
    # None when the browser is on this machine; a proxy in front makes every user one client
    ip = st.context.ip_address
    client = ip if isinstance(ip, str) and ip else "local"
    return f"client:{client}", f"session:{token}"


def gate() -> None:
    """Return when this session may see the app; otherwise show why not (a refusal, a
    sign-in form) and stop the script run there."""
    try:
        access, team, editor = _config()
    except AppError as err:
        problem = err  # `err` is unbound after the except block; the lambda may run later
        _stop_with(lambda: show_error(problem))
        return
    st.session_state[ACCESS] = access
    if access.refusal:
        _stop_with(lambda: st.error(access.refusal, icon=":material/lock:"))
    if access.open:
        return
    signed = st.session_state.get(SIGNED_IN)
    # a changed password signs out everyone who signed in with the old one; an OIDC
    # session lasts as long as Streamlit's identity cookie does
    stale = signed and (
        signed["how"] == "password" and signed["hashes"] != (team, editor)
        or signed["how"] == "oidc" and not (access.oidc and st.user.get("is_logged_in", False))
    )
    if stale:
        st.session_state.pop(SIGNED_IN, None)
        signed = None
    if signed:
        return
    if access.oidc and st.user.get("is_logged_in", False):
        st.session_state[SIGNED_IN] = {"role": "team" if access.editor else "editor", "how": "oidc", "hashes": None}
        return
    _stop_with(lambda: _sign_in_form(access, team, editor))


def _stop_with(show: Any) -> None:
    st.set_page_config(page_title="Sign in · Casebase", page_icon=":material/lock:", layout="centered")
    st.title("Casebase", anchor=False)
    show()
    st.stop()


def _sign_in_form(access: Access, team: str | None, editor: str | None) -> None:
    st.caption("The interviews hold personal data. Sign in to see them.")
    if access.password:
        with st.form("sign-in", clear_on_submit=True, border=True):
            password = st.text_input("Password", type="password", key="sign-in-password")
            go = st.form_submit_button("Sign in", type="primary", icon=":material/login:", key="sign-in-go")
        if go:
            role = _check(password, team, editor)
            if role:
                st.session_state[SIGNED_IN] = {"role": role, "how": "password", "hashes": (team, editor)}
                st.rerun()
    for provider in access.oidc:
        label = "Sign in with your organisation" if provider == "default" else f"Sign in with {provider}"
        if st.button(label, key=f"sign-in-{provider}", icon=":material/badge:"):
            st.login(provider)


def _check(password: str, team: str | None, editor: str | None) -> str | None:
    """"editor", "team" or None (after saying why). Throttled: while a client or session
    must wait, an attempt is refused without being checked at all."""
    keys = _throttle_keys()
    wait = THROTTLE.wait(*keys)
    if wait:
        st.error(f"Too many wrong passwords. Try again in {math.ceil(wait)} seconds.", icon=":material/timer:")
        return None
    # both hashes are always checked, so the time taken does not tell which one matched
    is_team = verify_password(team, password) if team else False
    is_editor = verify_password(editor, password) if editor else False
    if is_editor or (is_team and not editor):
        THROTTLE.succeeded(keys[1])  # the client's count decays on its own: others may share its address
        return "editor"
    if is_team:
        THROTTLE.succeeded(keys[1])
        return "team"
    wait = THROTTLE.failed(*keys)
    later = f" Wait {math.ceil(wait)} seconds before the next try." if wait else ""
    st.error(f"Wrong password.{later}", icon=":material/error:")
    return None


def can_edit() -> bool:
    """Whether this session may upload, resync, rebuild or erase: always, unless an editor
    password is configured and this session has not given it."""
    access = st.session_state.get(ACCESS)
    if access is None or not access.editor:
        return True
    signed = st.session_state.get(SIGNED_IN) or {}
    return signed.get("role") == "editor"


def editor_unlock(key: str) -> bool:
    """``can_edit()``, after offering the editor password when it is not yet given."""
    if can_edit():
        return True
    st.info(EDIT_NOTE, icon=":material/lock:")
    with st.form(f"{key}-editor", clear_on_submit=True, border=False):
        password = st.text_input("Editor password", type="password", key=f"{key}-editor-password")
        go = st.form_submit_button("Unlock editing", icon=":material/lock_open:", key=f"{key}-editor-go")
    if go:
        _, team, editor = _config()
        if _check(password, None, editor) == "editor":
            signed = st.session_state.get(SIGNED_IN) or {"how": "password", "hashes": (team, editor)}
            st.session_state[SIGNED_IN] = {**signed, "role": "editor"}
            st.rerun()
    return False


def account_controls() -> None:
    """Who is signed in, and a way out, in the sidebar (nothing when sign-in is off)."""
    signed = st.session_state.get(SIGNED_IN)
    if not signed:
        return
    with st.sidebar:
        who = (st.user.get("email") or st.user.get("name")) if signed["how"] == "oidc" else None
        role = "editor" if signed["role"] == "editor" else "reader"
        st.caption(f"Signed in{' as ' + escape_md(str(who)) if who else ''} ({role})")
        if st.button("Sign out", icon=":material/logout:", key="sign-out", type="tertiary"):
            st.session_state.pop(SIGNED_IN, None)
            if signed["how"] == "oidc":
                st.logout()
            st.rerun()
