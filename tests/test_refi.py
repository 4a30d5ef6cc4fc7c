"""REFI-QDA export: schema-valid project and codebook, offsets that index the exported
text exactly (code points), stable GUIDs, nothing dropped silently."""
from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from knowledge.refi import code_guid, codebook_xml, export_text, project_xml, source_guid, write_qdc, write_qdpx
from knowledge.types import Coding, Source, Theme

SCHEMAS = Path(__file__).parent / "fixtures" / "refi-qda"
NS = {"q": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}
EMOJI = "\U0001f600"  # one code point, two UTF-16 units, four UTF-8 bytes
QDOT = "q\u0307"  # q + combining dot above: no precomposed form, so two code points even in NFC

ANNA = (
    "Anna Holm, bibliotekar på Vejby Bibliotek.\n\n"
    f"1) Hvad er udfordringerne? {EMOJI}\n\n"
    f" • Økonomien er svær {EMOJI} for os.\n"
    f" • Det tager tid at få {QDOT}-ordningen på plads.\n\n"
    "2) Hvad fik I ud af det?\n\n"
    " • Et netværk på tværs af æøå-byerne.\n"
)
BO = "Bo Berg, formand.\n\n1) Hvad er udfordringerne?\n\n • Vi mangler frivillige.\n"


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


def doc(text: str, interviewee: str, role: str = "", organisation: str = "", case: str = "") -> dict[str, Any]:
    return {"text": text, "interviewee": interviewee, "role": role, "organisation": organisation,
            "case": case, "source_path": f"/data/{interviewee}.txt"}


@pytest.fixture
def documents() -> dict[str, dict[str, Any]]:
    return {
        "Åse og Anna/anna æøå.txt": doc(ANNA, "Anna Holm", "bibliotekar", "Vejby Bibliotek", "Læsefællesskab"),
        "bo.txt": doc(BO, "Bo Berg", "formand", "Nordby Kulturhus", "Frivillighed"),
    }


@pytest.fixture
def coding(documents: dict[str, dict[str, Any]]) -> Callable[..., Coding]:
    """A coding of ``quote`` in ``doc_id``, with the offsets the store would hold."""

    def make(theme: str, doc_id: str, quote: str, status: str = "accepted", anchor: str = "ok",
             found_by: str = "Hvad er svært?", question: str = "Hvad er udfordringerne?") -> Coding:
        d = documents.get(doc_id) or doc("", "")
        start = d["text"].find(quote)
        start = max(start, 0)
        src = Source(n=1, doc_id=doc_id, chunk_id=f"{doc_id}#{start}", quote=quote, interviewee=d["interviewee"],
                     role=d["role"], organisation=d["organisation"], case=d["case"], question=question,
                     source_path=d["source_path"], start=start, end=start + len(quote), score=0.5, relevance=0.8)
        return Coding(theme=theme, status=status, source=src, found_by=found_by, anchor=anchor)

    return make


THEMES = [
    Theme(f"Økonomi {EMOJI}", ["Hvad koster det?", "Er økonomien svær?"], "#1f77b4"),
    Theme(f"Tid og {QDOT}", ["Hvad tager tid?"], "#abc"),
    Theme("Netværk", ["Hvad fik I ud af det?"]),
]
ANNA_ID = "Åse og Anna/anna æøå.txt"


@pytest.fixture
def codings(coding: Callable[..., Coding]) -> list[Coding]:
    return [
        coding(THEMES[0].name, ANNA_ID, f"Økonomien er svær {EMOJI} for os."),
        coding(THEMES[1].name, ANNA_ID, f"Det tager tid at få {QDOT}-ordningen på plads."),
        coding(THEMES[2].name, ANNA_ID, "Et netværk på tværs af æøå-byerne.", question="Hvad fik I ud af det?"),
        coding(THEMES[1].name, "bo.txt", "Vi mangler frivillige."),
    ]


def parse_qdpx(path: Path) -> tuple[etree._Element, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return etree.fromstring(files["project.qde"]), files


def selections(root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    return [(sel, src) for src in root.iterfind(".//q:TextSource", NS) for sel in src.iterfind("q:PlainTextSelection", NS)]


def source_text(src: etree._Element, files: dict[str, bytes]) -> str:
    name = src.get("plainTextPath").removeprefix("internal://")
    return files["sources/" + name].decode("utf-8")


def code_names(root: etree._Element) -> dict[str, str]:
    return {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}


def coded(root: etree._Element, files: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(code name, source name, selected text) for every selection."""
    names = code_names(root)
    out = []
    for sel, src in selections(root):
        text = source_text(src, files)
        ref = sel.find("q:Coding/q:CodeRef", NS).get("targetGUID")
        out.append((names[ref], src.get("name"), text[int(sel.get("startPosition")):int(sel.get("endPosition"))]))
    return out


# -- codebook ------------------------------------------------------------------------------
def test_codebook_is_valid_and_carries_names_colours_questions(tmp_path: Path, codebook_schema: etree.XMLSchema) -> None:
    path = write_qdc(tmp_path / "themes.qdc", THEMES)
    root = etree.parse(str(path)).getroot()
    codebook_schema.assertValid(root)
    codes = root.findall("c:Codes/c:Code", NS)
    assert [c.get("name") for c in codes] == [t.name for t in THEMES]
    assert [c.get("color") for c in codes][:2] == ["#1F77B4", "#AABBCC"]
    assert all(len(c.get("color")) == 7 for c in codes)  # a theme without a colour still gets #RRGGBB
    assert "Er økonomien svær?" in codes[0].findtext("c:Description", namespaces=NS)
    assert codes[0].get("guid") == code_guid(THEMES[0].name)
    assert path.read_bytes() == codebook_xml(THEMES)


def test_codebook_needs_a_theme() -> None:
    with pytest.raises(ValueError):
        codebook_xml([])


# -- the project ----------------------------------------------------------------------------
def test_qdpx_layout_and_schema(tmp_path: Path, documents: dict, codings: list[Coding],
                                project_schema: etree.XMLSchema) -> None:
    path = write_qdpx(tmp_path / "p.qdpx", THEMES, codings, documents, project_name="Bibliotekerne æøå")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert "project.qde" in names and "sources/" in names
    assert all(n == "project.qde" or n.startswith("sources/") for n in names)
    assert not any(n.lower().startswith("sources/") and not n.startswith("sources/") for n in names)
    root, files = parse_qdpx(path)
    project_schema.assertValid(root)
    assert root.get("name") == "Bibliotekerne æøå"
    sources = root.findall(".//q:TextSource", NS)
    assert {s.get("name") for s in sources} == set(documents)
    for src in sources:
        ref = src.get("plainTextPath")
        assert ref.startswith("internal://") and ref.endswith(".txt")
        data = files["sources/" + ref.removeprefix("internal://")]
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        data.decode("utf-8")  # strict: valid UTF-8
    # the children of Project in the schema's order
    order = ["Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs", "Description", "NoteRef"]
    tags = [etree.QName(el).localname for el in root]
    assert tags == sorted(tags, key=order.index)


def test_every_selection_is_its_quote_counted_in_code_points(tmp_path: Path, documents: dict, codings: list[Coding]) -> None:
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", THEMES, codings, documents))
    got = coded(root, files)
    assert sorted(got) == sorted((c.theme, c.source.doc_id, c.source.quote) for c in codings)
    # the emoji before the quote counts as one position, as a code point, not two (UTF-16) or four (bytes)
    sel = next(s for s, _ in selections(root) if int(s.get("startPosition")) == ANNA.index("Økonomien"))
    assert ANNA.encode("utf-16-le").index("Ø".encode("utf-16-le")) // 2 != int(sel.get("startPosition"))
    assert int(sel.get("endPosition")) - int(sel.get("startPosition")) == len(f"Økonomien er svær {EMOJI} for os.")


def test_selection_notes_say_what_found_the_quote(tmp_path: Path, documents: dict, codings: list[Coding]) -> None:
    root = etree.fromstring(project_xml(THEMES, codings, documents))
    notes = [sel.findtext("q:Description", namespaces=NS) for sel, _ in selections(root)]
    assert all("Found by: Hvad er svært?" in n for n in notes)
    assert any("Answers the interview question: Hvad fik I ud af det?" in n for n in notes)
    assert not any("Proposed" in n for n in notes)


def test_all_documents_are_sources_with_cases_and_variables(coding: Callable[..., Coding], documents: dict,
                                                            project_schema: etree.XMLSchema) -> None:
    documents["bo again.txt"] = dict(documents["bo.txt"])  # a second interview with Bo
    xml = project_xml(THEMES, [coding(THEMES[0].name, ANNA_ID, "Økonomien er svær")], documents)
    root = etree.fromstring(xml)
    project_schema.assertValid(root)
    assert len(root.findall(".//q:TextSource", NS)) == 3  # uncoded interviews too
    variables = {v.get("name"): v for v in root.findall("q:Variables/q:Variable", NS)}
    assert set(variables) == {"Interviewee", "Role", "Organisation", "Case"}
    assert {v.get("typeOfVariable") for v in variables.values()} == {"Text"}
    cases = root.findall("q:Cases/q:Case", NS)
    assert sorted(c.get("name") for c in cases) == ["Anna Holm", "Bo Berg (bo again.txt)", "Bo Berg (bo.txt)"]
    anna = next(c for c in cases if c.get("name") == "Anna Holm")
    values = {vv.find("q:VariableRef", NS).get("targetGUID"): vv.findtext("q:TextValue", namespaces=NS)
              for vv in anna.findall("q:VariableValue", NS)}
    assert values[variables["Organisation"].get("guid")] == "Vejby Bibliotek"
    assert values[variables["Case"].get("guid")] == "Læsefællesskab"
    assert [r.get("targetGUID") for r in anna.findall("q:SourceRef", NS)] == [source_guid(ANNA_ID)]


def test_crlf_and_bom_in_the_input_are_exported_as_lf_with_offsets_remapped(tmp_path: Path,
                                                                             coding: Callable[..., Coding]) -> None:
    text = "\ufeffIntro.\r\n\r\n1) Hvad?\r\n • Første svar\r\nfortsætter.\r\n • Andet æøå.\r\n"
    docs = {"crlf.txt": doc(text, "Cecilie")}
    quote = "Første svar\r\nfortsætter."
    start = text.index(quote)
    first = coding("Tid", "crlf.txt", quote)
    first.source = replace(first.source, start=start, end=start + len(quote))
    second = coding("Tid", "crlf.txt", "Andet æøå.")
    second.source = replace(second.source, start=text.index("Andet"), end=text.index("Andet") + len("Andet æøå."))
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", [Theme("Tid")], [first, second], docs))
    exported = files[f"sources/{source_guid('crlf.txt')}.txt"].decode("utf-8")
    assert exported == text.lstrip("\ufeff").replace("\r\n", "\n")
    assert sorted(t for _, _, t in coded(root, files)) == ["Andet æøå.", "Første svar\nfortsætter."]


def test_decomposed_text_is_exported_nfc_with_offsets_remapped(tmp_path: Path, coding: Callable[..., Coding]) -> None:
    nfd = unicodedata.normalize("NFD", "Åse på Ærø: Økonomien er svær, siger vi på øen.")
    quote = unicodedata.normalize("NFD", "Økonomien er svær")
    c = coding("Økonomi", "nfd.txt", quote)
    c.source = replace(c.source, start=nfd.index(quote), end=nfd.index(quote) + len(quote))
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", [Theme("Økonomi")], [c], {"nfd.txt": doc(nfd, "Åse")}))
    exported = files[f"sources/{source_guid('nfd.txt')}.txt"].decode("utf-8")
    assert exported == unicodedata.normalize("NFC", nfd) and len(exported) < len(nfd)
    (sel, _), = selections(root)
    assert int(sel.get("startPosition")) == exported.index("Økonomien") < nfd.index(quote)
    assert [t for _, _, t in coded(root, files)] == ["Økonomien er svær"]


TOKENS = ["Ord", " ", "æøå", "\r\n", "\n", "\r", EMOJI, QDOT, unicodedata.normalize("NFD", "Å"), "e\u0301", "\ufeff"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.data())
def test_export_text_keeps_every_span_on_its_words(tokens: list[str], data: st.DataObject) -> None:
    text = "".join(tokens)
    bounds = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens) + 1)]
    a = data.draw(st.sampled_from(bounds))
    b = data.draw(st.sampled_from([x for x in bounds if x >= a]))
    exported, at = export_text(text, [a, b])
    assert "\r" not in exported and not exported.startswith("\ufeff")
    assert unicodedata.is_normalized("NFC", exported)
    # a span keeps its words, written the way the export writes them (a BOM only goes at the start)
    boms = len(text) - len(text.lstrip("\ufeff"))
    piece = text[max(a, boms):max(b, boms)]
    if piece.endswith("\r") and text[b:b + 1] == "\n":
        piece = piece[:-1]  # a span ending inside a CRLF: its line break is the LF after it
    assert exported[at[a]:at[b]] == unicodedata.normalize("NFC", piece.replace("\r\n", "\n").replace("\r", "\n"))


def test_reexport_is_byte_identical_and_new_theme_keeps_guids(tmp_path: Path, documents: dict, codings: list[Coding],
                                                              coding: Callable[..., Coding],
                                                              project_schema: etree.XMLSchema) -> None:
    one = write_qdpx(tmp_path / "1.qdpx", THEMES, codings, documents).read_bytes()
    # the same data in another order is the same data
    two = write_qdpx(tmp_path / "2.qdpx", THEMES, codings[::-1], dict(reversed(list(documents.items())))).read_bytes()
    assert one == two
    before = {el.get("guid") for el in etree.fromstring(project_xml(THEMES, codings, documents)).iter() if el.get("guid")}

    more = [Theme("Ny æøå", ["Hvad er nyt?"])] + THEMES
    extra = coding("Ny æøå", "bo.txt", "Vi mangler frivillige.")
    root = etree.fromstring(project_xml(more, codings + [extra], documents))
    project_schema.assertValid(root)
    after = {el.get("guid") for el in root.iter() if el.get("guid")}
    assert before < after  # every old GUID is still there; the new theme only adds
    assert code_names(root)[code_guid("Netværk")] == "Netværk"
    colours = {c.get("name"): c.get("color") for c in root.iterfind(".//q:Code", NS)}
    old = {c.get("name"): c.get("color") for c in etree.fromstring(codebook_xml(THEMES)).iterfind(".//c:Code", NS)}
    assert all(colours[name] == colour for name, colour in old.items())


def test_created_adds_times_and_stays_valid(documents: dict, codings: list[Coding],
                                            project_schema: etree.XMLSchema) -> None:
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    root = etree.fromstring(project_xml(THEMES, codings, documents, created=when))
    project_schema.assertValid(root)
    assert root.get("creationDateTime") == "2024-05-01T12:30:00Z"
    assert b"DateTime" not in project_xml(THEMES, codings, documents)


def test_lost_and_unplaceable_codings_are_listed_in_a_note(tmp_path: Path, documents: dict, codings: list[Coding],
                                                           coding: Callable[..., Coding],
                                                           project_schema: etree.XMLSchema) -> None:
    lost = coding("Netværk", "bo.txt", "Vi havde et stort netværk.", anchor="lost")
    gone = coding("Netværk", "slettet.txt", "Et interview der ikke er med.")
    wrong = coding("Netværk", "bo.txt", "Denne sætning står ikke i teksten.")
    stale = coding("Netværk", "bo.txt", "Vi mangler frivillige.")
    stale.source = replace(stale.source, start=0, end=len("Vi mangler frivillige."))  # the file moved on
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", THEMES, codings + [lost, gone, wrong, stale], documents))
    project_schema.assertValid(root)
    texts = [t for _, _, t in coded(root, files)]
    assert not any(q in texts for q in (lost.source.quote, gone.source.quote, wrong.source.quote))
    assert ("Netværk", "bo.txt", "Vi mangler frivillige.") in coded(root, files)  # found again by its text
    note, = root.findall("q:Notes/q:Note", NS)
    content = note.findtext("q:PlainTextContent", namespaces=NS)
    for c in (lost, gone, wrong):
        assert c.source.quote in content and c.source.doc_id in content
    assert "no longer in the interview" in content and "not in this export" in content
    assert [r.get("targetGUID") for r in root.findall("q:NoteRef", NS)] == [note.get("guid")]


def test_no_note_when_everything_is_placed(documents: dict, codings: list[Coding]) -> None:
    root = etree.fromstring(project_xml(THEMES, codings, documents))
    assert root.find("q:Notes", NS) is None and root.find("q:NoteRef", NS) is None


def test_proposed_codings_only_when_asked_and_marked(documents: dict, codings: list[Coding],
                                                     coding: Callable[..., Coding]) -> None:
    proposed = coding("Netværk", "bo.txt", "Vi mangler frivillige.", status="proposed")
    rejected = coding("Netværk", ANNA_ID, "Økonomien er svær", status="rejected")
    dup = coding(THEMES[0].name, ANNA_ID, f"Økonomien er svær {EMOJI} for os.", status="proposed")
    plain = etree.fromstring(project_xml(THEMES, codings + [proposed, rejected, dup], {**documents}))
    assert len(selections(plain)) == len(codings)
    root = etree.fromstring(project_xml(THEMES, codings + [proposed, rejected, dup], documents, proposed=True))
    sels = selections(root)
    assert len(sels) == len(codings) + 1  # the proposal; never the rejected one; the duplicate stays accepted
    marked = [s for s, _ in sels if "Proposed, not reviewed" in (s.findtext("q:Description", namespaces=NS) or "")]
    assert len(marked) == 1 and marked[0].find("q:Coding/q:CodeRef", NS).get("targetGUID") == code_guid("Netværk")


def test_coding_of_an_unlisted_theme_still_gets_a_code(documents: dict, coding: Callable[..., Coding],
                                                       project_schema: etree.XMLSchema) -> None:
    root = etree.fromstring(project_xml([], [coding("Uden tema", "bo.txt", "Vi mangler frivillige.")], documents))
    project_schema.assertValid(root)
    assert list(code_names(root).values()) == ["Uden tema"]


def test_text_xml_cannot_carry_is_dropped_not_fatal(documents: dict, coding: Callable[..., Coding],
                                                    project_schema: etree.XMLSchema) -> None:
    bad = coding("Bell\x07 æ", "bo.txt", "Vi mangler frivillige.", found_by="hvad\x00 nu")
    root = etree.fromstring(project_xml([Theme("Bell\x07 æ")], [bad], documents))
    project_schema.assertValid(root)
    assert list(code_names(root).values()) == ["Bell æ"]


def test_empty_export_is_valid(tmp_path: Path, project_schema: etree.XMLSchema) -> None:
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", [], [], {}))
    project_schema.assertValid(root)
    assert "sources/" in files


def test_documents_as_the_store_gives_them(coding: Callable[..., Coding], project_schema: etree.XMLSchema) -> None:
    body = {"metadata": {"doc_id": "bo.txt", "interviewee": "Bo Berg", "organisation": "Nordby Kulturhus"},
            "doc_id": "bo.txt", "text": BO, "interviewee": "Bo Berg", "role": "formand", "organisation": "", "case": ""}
    root = etree.fromstring(project_xml([Theme("Tid")], [coding("Tid", "bo.txt", "Vi mangler frivillige.")],
                                        {"bo.txt": body}))
    project_schema.assertValid(root)
    values = [vv.findtext("q:TextValue", namespaces=NS) for vv in root.iterfind(".//q:Case/q:VariableValue", NS)]
    assert values == ["Bo Berg", "formand", "Nordby Kulturhus", ""]


# -- pseudonymised projects ------------------------------------------------------------------
GRACE = ("Shelf Help, with Grace Obi and Tom Fenwick of Hollybrook Library.\n\n"
         "Q: What worked?\n\nGrace Obi: Honestly, Tom made it work. GRACE OBI is me, grace obi too.\n")


def pseudonymised(tmp_path: Path, documents: dict, codings: list[Coding], organisations: bool = True):
    from knowledge.pseudonymise import export_set

    return export_set(tmp_path / "themes.sqlite", THEMES, codings, documents, organisations)


def test_pseudonymised_qdpx_has_no_names_and_selections_still_mark_their_quotes(
        tmp_path: Path, documents: dict, codings: list[Coding], coding: Callable[..., Coding],
        project_schema: etree.XMLSchema) -> None:
    documents["grace.txt"] = doc(GRACE, "Grace Obi, Tom Fenwick", "librarian", "Hollybrook Library", "Shelf Help")
    said = coding(THEMES[2].name, "grace.txt", "Honestly, Tom made it work.")
    said.source = replace(said.source, speaker="Grace Obi")
    themes, pcodings, pdocs, p = pseudonymised(tmp_path, documents, codings + [said])
    root, files = parse_qdpx(write_qdpx(tmp_path / "p.qdpx", themes, pcodings, pdocs))
    project_schema.assertValid(root)
    blob = b"\n".join(files.values()).decode("utf-8").casefold()
    for name in ("anna", "holm", "bo berg", "grace", "obi", "tom", "fenwick", "vejby", "nordby", "hollybrook", "æøå.txt"):
        assert name not in blob, name
    # every selection is its pseudonymised quote, which is the quote with the names replaced
    key = {r["name"]: r["code"] for r in p.key_rows()}
    grace, tom = key["Grace Obi"], key["Tom Fenwick"]
    got = sorted(coded(root, files))
    assert got == sorted((c.theme, c.source.doc_id, c.source.quote) for c in pcodings)
    assert ("Netværk", p.interview("grace.txt"), f"Honestly, {tom} made it work.") in got  # a first name alone
    assert [c.source.quote for c in pcodings[:2]] == [c.source.quote for c in codings[:2]]  # no names: verbatim
    text = source_text(root.find(f".//q:TextSource[@name='{p.interview('grace.txt')}']", NS), files)
    assert text.endswith(f"{grace}: Honestly, {tom} made it work. {grace} is me, {grace} too.\n")  # any case, whole words
    cases = sorted(c.get("name") for c in root.iterfind(".//q:Case", NS))
    assert cases == sorted([key["Anna Holm"], key["Bo Berg"], f"{grace}, {tom}"])
    assert [k[0] for k in (grace, tom, key["Hollybrook Library"], key["grace.txt"])] == ["P", "P", "O", "I"]


def test_pseudonym_codes_are_stable_across_exports(tmp_path: Path, documents: dict, codings: list[Coding]) -> None:
    first = pseudonymised(tmp_path, {ANNA_ID: documents[ANNA_ID]}, codings[:3])[3].key_rows()
    assert {r["name"]: r["code"] for r in first} == {"Anna Holm": "P01", "Vejby Bibliotek": "O01", ANNA_ID: "I01"}
    # a later export that sees Bo first still calls Anna P01: the codes are kept in the themes database
    both = pseudonymised(tmp_path, documents, codings)[3].key_rows()
    assert {r["name"]: r["code"] for r in both} == {"Anna Holm": "P01", "Bo Berg": "P02", "Vejby Bibliotek": "O01",
                                                    "Nordby Kulturhus": "O02", ANNA_ID: "I01", "bo.txt": "I02"}
    again = pseudonymised(tmp_path, documents, codings)
    assert again[3].key_rows() == both and again[1] == pseudonymised(tmp_path, documents, codings)[1]


def test_an_ambiguous_first_name_is_left_alone(tmp_path: Path, coding: Callable[..., Coding]) -> None:
    from knowledge.pseudonymise import export_set

    docs = {"a.txt": doc("Anna Holm og Anna Berg.\n\n1) Hvem?\n\n • Anna sagde det til Anna Berg.\n", "Anna Holm, Anna Berg")}
    c = coding("T", "a.txt", "Anna sagde det til Anna Berg.")
    _, [pc], pdocs, _ = export_set(tmp_path / "t.sqlite", [Theme("T")], [c], docs)
    assert pc.source.quote == "Anna sagde det til P02."  # "Anna" alone could be either of them
