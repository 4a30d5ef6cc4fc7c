"""``python -m knowledge hash-password``: the argon2 hash for CASEBASE_PASSWORD_HASH (or
CASEBASE_EDITOR_PASSWORD_HASH, or ``password_hash`` in .streamlit/secrets.toml).

Only the hash is printed to stdout, so ``$(... hash-password)`` captures it; the password
itself is never echoed, never an argument (it would sit in the shell history and in
``ps``) and never stored."""
from __future__ import annotations

import sys

import click

USE = ("Set it, in single quotes (it contains '$'), as CASEBASE_PASSWORD_HASH='...' in the environment or .env, "
       "or password_hash = '...' in .streamlit/secrets.toml (CASEBASE_EDITOR_PASSWORD_HASH / "
       "editor_password_hash for the editor password).")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = click.prompt("Password", hide_input=True, default="", show_default=False)
        if first and click.prompt("Again", hide_input=True, default="", show_default=False) != first:
            raise click.ClickException("the two passwords differ")
        return first
    # from a pipe: the first line, without its line ending (spaces are part of a password)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("hash-password", help=(
    "Read a password from stdin (not echoed on a terminal; from a pipe, the first line) and print its "
    "argon2 hash, for CASEBASE_PASSWORD_HASH or CASEBASE_EDITOR_PASSWORD_HASH."
))
def hash_password() -> None:
    from knowledge.auth import hash_password as make_hash

    password = _read_password()
    if not password:
        raise click.ClickException("the password is empty; type one, or pipe it in: printf '%s\\n' \"$PW\" | python -m knowledge hash-password")
    click.echo(make_hash(password))
    if sys.stdout.isatty():
        click.echo(USE, err=True)
