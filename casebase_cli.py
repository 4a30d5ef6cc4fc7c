"""``casebase``: one command for the command lines of both layers.

``casebase ingest ...`` is ``python -m ingest ...``; ``casebase ask|search|list|themes|matrix|
export|erase|hash-password ...`` are ``python -m knowledge ...``. This module sits above both
packages (it is the one place that imports the two CLIs), so neither has to know the other.
"""
from __future__ import annotations

import click

from ingest.__main__ import main as ingest_command
from knowledge.__main__ import cli as knowledge_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Casebase: ask your interviews questions, get answers that cite verbatim quotes.

    Every command has --help. The store, embedder and LLM come from CASEBASE_* settings
    (environment or .env), as for the app.
    """


main.add_command(ingest_command, "ingest")
for _name, _command in knowledge_cli.commands.items():
    main.add_command(_command, _name)


if __name__ == "__main__":
    main(prog_name="casebase")
