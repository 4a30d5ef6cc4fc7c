"""The app's destructive actions ask first: "Erase this interview" on the Interviews page
(the interview's file name typed to confirm) and "Rebuild from scratch" on the Ingest page."""
from __future__ import annotations

from knowledge.settings import Settings
from tests.test_app import all_text, app_env, filled, run_app  # noqa: F401  (fixtures)


def test_erase_asks_for_the_name_then_erases_only_that_interview(filled: Settings) -> None:
    at = run_app("views/interviews.py")
    at.selectbox(key="iv-select").set_value("bo.txt").run()
    erase = at.button(key="iv-erase-bo.txt")
    assert erase.disabled
    at.text_input(key="iv-erase-confirm-bo.txt").set_value("anna.txt").run()
    assert at.button(key="iv-erase-bo.txt").disabled  # another interview's name does not confirm
    at.text_input(key="iv-erase-confirm-bo.txt").set_value("bo.txt").run()
    assert not at.button(key="iv-erase-bo.txt").disabled
    at.button(key="iv-erase-bo.txt").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at)
    assert "Erased bo.txt (Bo Berg): " in text and "nothing of the interview is left" in text
    assert "a resync of its folder would bring the interview back" in text  # the file in the folder is theirs
    assert [o.rsplit("  ·  ", 1)[-1] for o in at.selectbox(key="iv-select").options] == ["anna.txt", "eve.txt"]
    assert (filled.interviews_dir / "bo.txt").exists()


def test_rebuild_from_scratch_asks_first(filled: Settings) -> None:
    at = run_app("views/ingest.py")
    assert at.button(key="rebuild").disabled
    at.checkbox(key="rebuild-confirm").check().run()
    assert not at.button(key="rebuild").disabled
