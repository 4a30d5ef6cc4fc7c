"""Who may see the interviews: the address decision, password hashing and throttling.

Pure logic, no Streamlit import, so every rule here is unit-tested; ui/auth.py applies
it to a running app. Interview transcripts are personal data, hence the stance: the app
is open without sign-in only when nobody but this machine can reach it, and a sign-in
that is configured is always required, also on localhost (whoever set it up expects it).
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

LOCAL_ADDRESS = "127.0.0.1"
HASH_HINT = "create one with: python -m knowledge hash-password"
OIDC_KEYS = ("client_id", "client_secret", "server_metadata_url")

# Defaults of argon2-cffi (argon2id, 64 MiB, 3 passes): about 50 ms per check here, slow
# enough to make guessing from a stolen hash expensive, fast enough for a sign-in.
_HASHER = PasswordHasher()


# -- the address ---------------------------------------------------------------------------
def is_loopback(address: str | None) -> bool:
    """True when a server bound to ``address`` is reachable from this machine only.

    Streamlit with no address listens on every interface, so empty/None is not local;
    nor are 0.0.0.0 and :: (every interface, IPv4 or IPv6)."""
    if address is None:
        return False
    host = address.strip().lower()
    if host.startswith("[") and host.endswith("]"):  # "[::1]", as in a URL
        host = host[1:-1]
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])  # "::1%lo" carries a zone id
    except ValueError:
        return False  # a host name other than localhost may resolve to anything
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return (mapped or ip).is_loopback


# -- passwords -----------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """An argon2id hash (salted, parameters included) for CASEBASE_PASSWORD_HASH."""
    if not password:
        raise ValueError("the password is empty")
    return _HASHER.hash(password)


def looks_like_hash(value: str) -> bool:
    """Whether ``value`` is an argon2 hash at all (a pasted plain password is not)."""
    try:
        _HASHER.check_needs_rehash(value)  # parses the hash's parameters; raises if it is none
    except (InvalidHashError, ValueError):
        return False
    return value.startswith("$argon2")


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches. argon2's verify compares in constant time, and a
    malformed hash or empty password is simply no match (never an exception)."""
    if not password or not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False


# -- OIDC (Streamlit's st.login) -------------------------------------------------------------
def oidc_providers(auth: Mapping[str, Any] | None) -> list[str]:
    """The providers st.login can use from a secrets.toml ``[auth]`` section: "default"
    when the keys sit in [auth] itself, else each [auth.NAME] with all of them.
    ValueError (one line, what to add) when [auth] exists but cannot work, so a half
    configured sign-in refuses access instead of silently letting everyone in."""
    if not auth:
        return []
    missing = [k for k in ("redirect_uri", "cookie_secret") if not auth.get(k)]
    if missing:
        raise ValueError(f"[auth] in .streamlit/secrets.toml lacks {', '.join(missing)}")
    names = ["default"] if all(auth.get(k) for k in OIDC_KEYS) else []
    for name, section in auth.items():
        if isinstance(section, Mapping) and all(section.get(k) for k in OIDC_KEYS):
            if "_" in name:  # Streamlit refuses provider names with underscores
                raise ValueError(f"[auth.{name}] in .streamlit/secrets.toml: a provider name cannot contain '_'")
            names.append(str(name))
    if not names:
        raise ValueError(
            "[auth] in .streamlit/secrets.toml names no provider with " + ", ".join(OIDC_KEYS)
        )
    return names


# -- the decision ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Access:
    """What the app must do before showing anything. ``refusal`` set: show only that.
    Otherwise, when ``password`` or ``oidc`` is set, sign-in is required."""

    refusal: str | None = None
    password: bool = False  # a team or editor password is configured
    oidc: list[str] = field(default_factory=list)  # st.login providers
    editor: bool = False  # an editor password guards upload, resync, rebuild and erase

    @property
    def open(self) -> bool:
        return self.refusal is None and not self.password and not self.oidc


def decide(
    address: str | None,
    password_hash: str | None = None,
    editor_hash: str | None = None,
    auth_section: Mapping[str, Any] | None = None,
) -> Access:
    """Whether the app may serve, and with which sign-in, on ``address`` (the address the
    server really listens on). A broken configuration refuses, naming what to fix."""
    for name, value in (("CASEBASE_PASSWORD_HASH", password_hash), ("CASEBASE_EDITOR_PASSWORD_HASH", editor_hash)):
        if value and not looks_like_hash(value):
            return Access(refusal=f"{name} is not an argon2 hash; {HASH_HINT}.")
    try:
        providers = oidc_providers(auth_section)
    except ValueError as exc:
        return Access(refusal=f"{exc}; see the README, 'Privacy and sign-in'.")
    access = Access(password=bool(password_hash or editor_hash), oidc=providers, editor=bool(editor_hash))
    if access.open and not is_loopback(address):
        where = address or "every network interface"
        return Access(
            refusal=(
                f"Casebase is listening on {where}, so other machines can reach it, and no sign-in is "
                "configured. Interview data stays private: set CASEBASE_PASSWORD_HASH (create it with "
                "`python -m knowledge hash-password`) or configure [auth] in .streamlit/secrets.toml, "
                f"or serve on {LOCAL_ADDRESS} only (`make run`)."
            )
        )
    return access


# -- slowing down guessing ------------------------------------------------------------------
@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


class Throttle:
    """Failed sign-ins per key, and how long a key must wait before its next attempt.

    Keys are a client (its IP address, shared by every session it opens, so reloading the
    page to get a fresh session does not reset the count) and a session (so one browser
    tab behind a shared proxy address slows down on its own too). The first ``free``
    failures cost nothing (typos); after that the wait doubles per failure up to ``cap``.
    A key with no failure for ``forget_after`` seconds starts afresh. Process-wide and
    in memory: a restart forgets, which is fine against online guessing."""

    def __init__(
        self,
        *,
        free: int = 3,
        base: float = 1.0,
        cap: float = 60.0,
        forget_after: float = 900.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base, self.cap = free, base, cap
        self.forget_after, self.max_keys, self.clock = forget_after, max_keys, clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()  # sessions run in their own threads

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures."""
        if failures <= self.free:
            return 0.0
        return min(self.base * 2 ** (failures - self.free - 1), self.cap)

    def wait(self, *keys: str) -> float:
        """Seconds before any of ``keys`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(self._records.get(k), now) for k in keys]
        return max(waits, default=0.0)

    def _wait(self, rec: _Record | None, now: float) -> float:
        if rec is None or now - rec.last > self.forget_after:
            return 0.0
        return max(0.0, rec.last + self.delay(rec.failures) - now)

    def failed(self, *keys: str) -> float:
        """Count a failure for each key; the wait it imposes."""
        now = self.clock()
        with self._lock:
            if len(self._records) >= self.max_keys:  # bounded memory under a flood of clients
                self._forget_old(now)
            for k in keys:
                rec = self._records.get(k)
                if rec is None or now - rec.last > self.forget_after:
                    rec = self._records[k] = _Record()
                rec.failures += 1
                rec.last = now
            return max((self._wait(self._records[k], now) for k in keys), default=0.0)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._records.pop(k, None)

    def failures(self, key: str) -> int:
        rec = self._records.get(key)
        return rec.failures if rec else 0

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def _forget_old(self, now: float) -> None:
        stale = [k for k, r in self._records.items() if now - r.last > self.forget_after]
        for k in stale:
            del self._records[k]
        if len(self._records) >= self.max_keys:  # all fresh: drop the oldest half
            for k, _ in sorted(self._records.items(), key=lambda kv: kv[1].last)[: self.max_keys // 2]:
                del self._records[k]


# One per process: every session of the app counts into it.
THROTTLE = Throttle()
