"""What every ``python -m knowledge`` command shares: the options, the filters, the service,
and one way of turning an error a user can fix into one line on stderr and exit 1.

The command modules (``knowledge.__main__``, ``cli_themes``, ``cli_matrix``, ``cli_erase``,
``cli_auth``) import from here and never from each other.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from knowledge.settings import settings_with

FILTER_HELP = "Restrict to KEY=VALUE (organisation, interviewee, case, doc_id, language, kind); repeatable, same key = any of."


def _filters(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    from knowledge.retrieve import FILTER_KEYS

    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise click.BadParameter(f"'{pair}' is not KEY=VALUE", param_hint="--filter")
        if key not in FILTER_KEYS:
            raise click.BadParameter(f"unknown key '{key}'; use one of {', '.join(FILTER_KEYS)}", param_hint="--filter")
        out.setdefault(key, []).append(value.strip())
    return out


def _service(store: Path | None):
    from knowledge.service import Casebase

    return Casebase(settings_with(store=store))


def _run(fn):
    """Turn the errors a user can act on into one line on stderr, exit 1."""
    from knowledge.embeddings import EmbedderUnavailable
    from knowledge.llm import LLMUnavailable
    from knowledge.store import StoreError

    try:
        return fn()
    except (StoreError, EmbedderUnavailable, LLMUnavailable, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _emit(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


store_opt = click.option("--store", type=click.Path(path_type=Path), default=None, help="Store directory (default: CASEBASE_STORE).")
k_opt = click.option("--k", "k", type=click.IntRange(1, 100), default=None,
                     help="ask: at most this many quotes (default: every relevant one); search: how many to return (default 10).")
filter_opt = click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help=FILTER_HELP)
json_opt = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _go(fn) -> None:
    """_run, and a themes database error (unknown theme, name taken...) as one line too."""
    from knowledge.themes import ThemeBookError

    def guarded():
        try:
            return fn()
        except ThemeBookError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    _run(guarded)
