"""``export --pseudonymise[-organisations]``: no name in any export's bytes, the key in a
file of its own, the same codes in every export, selections still on their quotes."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from lxml import etree

from knowledge.service import Casebase
from tests.test_refi import NS, SCHEMAS, coded, parse_qdpx

NAMES = ["Rasmus Friis", "Priya Raman", "Lone Damgaard", "Havnestad Ungdomsskole", "Riverside Public Library",
         "Skovby Bibliotek", "havnestad-ungdomsskole", "riverside-seed-library", "skovby-borgerservice"]


def everything_in(path: Path) -> bytes:
    """A file's bytes, and for a zip (.qdpx, .xlsx) the bytes of every member."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            data += b"\n".join(zf.read(n) for n in zf.namelist())
    return data


def code_quotes(svc: Casebase) -> None:
    svc.themes.add("Samarbejde", ["Hvad var svært?", "What did the partnership achieve?"])
    for doc_id in ("havnestad-ungdomsskole.txt", "riverside-seed-library.md", "skovby-borgerservice.txt"):
        for chunk in svc.interview(doc_id)["chunks"][:3]:
            svc.themes.code("Samarbejde", svc.source_of(chunk["chunk_id"]))


def export(knowledge_cli, out: Path, *flags: str) -> Path:
    outs = {f: out / f"themes.{f}" for f in ("qdpx", "qdc", "csv", "xlsx")} | {"markdown": out / "themes.md"}
    args = [a for f, p in outs.items() for a in (f"--{f}", str(p))]
    result = knowledge_cli("export", *args, *flags)
    assert result.exit_code == 0, result.output
    assert f"the key (code -> name) is in {out / 'themes.key.csv'}" in result.stderr
    return out


def key_of(path: Path) -> dict[str, str]:
    return {r["name"]: r["code"] for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_no_name_in_any_export_and_the_key_apart(casebase: Casebase, knowledge_cli, tmp_path: Path) -> None:
    code_quotes(casebase)
    out = export(knowledge_cli, tmp_path / "one", "--pseudonymise-organisations")
    for path in out.iterdir():
        if path.name == "themes.key.csv":
            continue
        data = everything_in(path).decode("utf-8", "replace").casefold()
        for name in NAMES + ["Rasmus", "Priya", "Lone"]:
            assert name.casefold() not in data, (path.name, name)
    key = key_of(out / "themes.key.csv")
    assert {n for n in NAMES if "-" not in n} <= set(key)
    assert {key["Rasmus Friis"][0], key["Havnestad Ungdomsskole"][0], key["skovby-borgerservice.txt"][0]} == {"P", "O", "I"}

    # the project is valid, and every selection is exactly its (pseudonymised) quote
    root, files = parse_qdpx(out / "themes.qdpx")
    etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd"))).assertValid(root)
    quotes = {r["quote"] for r in csv.DictReader(io.StringIO((out / "themes.csv").read_text(encoding="utf-8-sig")))}
    selected = {text for _, _, text in coded(root, files)}
    assert len(selected) == 9 and selected == quotes
    assert {s.get("name") for s in root.iterfind(".//q:TextSource", NS)} == {key[f] for f in key if f.endswith((".txt", ".md"))}

    # a second export: the same codes, the same bytes
    again = export(knowledge_cli, tmp_path / "two", "--pseudonymise-organisations")
    assert key_of(again / "themes.key.csv") == key
    assert (again / "themes.qdpx").read_bytes() == (out / "themes.qdpx").read_bytes()


def test_people_only_keeps_organisations_and_key_needs_pseudonymise(casebase: Casebase, knowledge_cli,
                                                                    tmp_path: Path) -> None:
    code_quotes(casebase)
    out = export(knowledge_cli, tmp_path, "--pseudonymise")
    data = everything_in(out / "themes.md").decode("utf-8")
    assert "Rasmus" not in data and "Havnestad Ungdomsskole" in data
    assert set(key_of(out / "themes.key.csv")) >= {"Rasmus Friis", "Priya Raman", "Lone Damgaard"}
    bad = knowledge_cli("export", "--csv", str(tmp_path / "x.csv"), "--key", str(tmp_path / "k.csv"))
    assert bad.exit_code == 2 and "--pseudonymise" in bad.output
    clash = knowledge_cli("export", "--csv", str(tmp_path / "x.csv"), "--pseudonymise", "--key", str(tmp_path / "x.csv"))
    assert clash.exit_code == 2 and "would overwrite" in clash.output


def test_the_apps_export_buttons_pseudonymise_every_format(casebase: Casebase, tmp_path: Path) -> None:
    from ui.themes import EXPORTS, export_bytes

    code_quotes(casebase)
    for kind, _label, name, _mime in EXPORTS:
        path = tmp_path / name
        path.write_bytes(export_bytes(casebase, kind, True, pseudonymise=True, organisations=True))
        data = everything_in(path).decode("utf-8", "replace").casefold()
        assert not [n for n in NAMES if n.casefold() in data], kind
    key = export_bytes(casebase, "key", True, pseudonymise=True, organisations=True).decode("utf-8-sig")
    assert all(n in key for n in NAMES if "-" not in n)
    plain = export_bytes(casebase, "csv", False).decode("utf-8-sig")
    assert "Rasmus Friis" in plain  # unticked: the export as before
