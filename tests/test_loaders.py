"""File → text: every format and encoding, and every way a file can be bad."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import docx
import pytest

from ingest.loaders import SUPPORTED_EXTENSIONS, LoadError, load_file
from ingest.meta import SIDECAR_SUFFIXES, is_sidecar, split_front_matter
from ingest.pipeline import content_hash, read_interview

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "interviews"
DANISH = "Børnene læste mere, og lærerne så på ÆØÅ-bøgerne med åbne øjne.\n"


def _make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "data" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


text_pdf_bytes = _make_samples().text_pdf_bytes


def _load_error(path: Path, **kwargs) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    return message


# --- text encodings ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252", "latin-1"])
def test_text_encodings_decode_to_the_same_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "interview.txt"
    if encoding == "utf-16-be":
        path.write_bytes(b"\xfe\xff" + DANISH.encode("utf-16-be"))
    else:
        path.write_bytes(DANISH.encode(encoding))
    text = load_file(path)
    assert text == DANISH
    assert not text.startswith("\ufeff")


def test_short_cp1252_is_not_mistaken_for_central_european(tmp_path: Path) -> None:
    path = tmp_path / "kort.txt"
    path.write_bytes("Kære Åse, vi ses på mødet.\n".encode("cp1252"))
    assert load_file(path) == "Kære Åse, vi ses på mødet.\n"


def test_newlines_and_nbsp_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes("Linje\u00a0et\r\nLinje to\rLinje tre\n".encode("utf-8"))
    assert load_file(path) == "Linje et\nLinje to\nLinje tre\n"


def test_file_without_extension_is_sniffed_as_text(tmp_path: Path) -> None:
    path = tmp_path / "interview uden endelse"
    path.write_text(DANISH, encoding="utf-8")
    assert load_file(path) == DANISH


# --- docx / pdf / html ----------------------------------------------------------------


def _docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Samarbejdet", level=1)
    document.add_paragraph("Første afsnit om partnerskabet.")
    document.add_paragraph("Et punkt på listen", style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Partner"
    table.rows[0].cells[1].text = "Bibliotek"
    document.add_paragraph("Sidste afsnit efter tabellen.")
    document.save(path)
    return path


def test_docx_paragraphs_lists_and_tables_in_order(tmp_path: Path) -> None:
    text = load_file(_docx(tmp_path / "møde referat.docx"))
    lines = [line for line in text.split("\n") if line]
    assert lines == [
        "# Samarbejdet",
        "Første afsnit om partnerskabet.",
        "• Et punkt på listen",
        "Partner | Bibliotek",
        "Sidste afsnit efter tabellen.",
    ]


def test_docx_every_table_cell_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Før tabellen.")
    outer = document.add_table(rows=2, cols=2)
    outer.cell(0, 0).text = "Partner"
    outer.cell(0, 1).text = "Bidrag"
    outer.cell(1, 0).text = "Biblioteket"
    inner_cell = outer.cell(1, 1)
    inner_cell.text = "Lokaler og:"
    inner = inner_cell.add_table(rows=2, cols=1)
    inner.cell(0, 0).text = "Åbningstid"
    inner.cell(1, 0).text = "Formidling"
    document.add_paragraph("Mellem tabellerne.")
    merged = document.add_table(rows=2, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Vandret flettet"
    merged.cell(0, 2).merge(merged.cell(1, 2)).text = "Lodret flettet"
    merged.cell(1, 0).text = "A"
    merged.cell(1, 1).text = "B"
    document.add_paragraph("Efter tabellerne.")
    path = tmp_path / "tabeller.docx"
    document.save(path)
    lines = [line for line in load_file(path).split("\n") if line]
    assert lines == [
        "Før tabellen.",
        "Partner | Bidrag",
        "Biblioteket | Lokaler og:",
        "Åbningstid",
        "Formidling",
        "Mellem tabellerne.",
        "Vandret flettet | Lodret flettet",
        "A | B",
        "Efter tabellerne.",
    ]


def test_docx_has_no_header_footer_or_comment_text_but_keeps_tracked_insertions(tmp_path: Path) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "SIDEHOVED Kulturhus Vest"
    section.footer.paragraphs[0].text = "SIDEFOD side 1"
    paragraph = document.add_paragraph("Vi har ")
    document.add_comment(paragraph.runs, text="KOMMENTAR: tjek citatet", author="Redaktør")
    insertion, deletion = OxmlElement("w:ins"), OxmlElement("w:del")
    for element, tag, words in ((deletion, "w:delText", "aldrig "), (insertion, "w:t", "altid ")):
        element.set(qn("w:id"), "1")
        element.set(qn("w:author"), "Redaktør")
        run, t = OxmlElement("w:r"), OxmlElement(tag)
        t.text = words
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
        element.append(run)
        paragraph._p.append(element)
    paragraph.add_run("samarbejdet med skolen.")
    path = tmp_path / "kommentarer.docx"
    document.save(path)
    text = load_file(path)
    assert text.strip() == "Vi har altid samarbejdet med skolen."


def test_bundled_docx_sample_has_every_table_cell() -> None:
    text = load_file(SAMPLES / "makerspace-library-open-bench.docx")
    assert (
        "Partner | Contribution\n"
        "Northgate Makerspace | Tools, mentors, safety training\n"
        "Eastfield Public Library | Room, opening hours, outreach to families\n"
        "## 1. Why did a makerspace go looking for a library partner?"
    ) in text


def test_docx_without_extension_is_sniffed(tmp_path: Path) -> None:
    path = _docx(tmp_path / "a.docx")
    bare = tmp_path / "noext"
    bare.write_bytes(path.read_bytes())
    assert "Første afsnit om partnerskabet." in load_file(bare)


def test_pdf_text_layer_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "sundhed.pdf"
    path.write_bytes(text_pdf_bytes(["1. Hvad var formålet?", "At få flere borgere til at bevæge sig (sammen)."]))
    text = load_file(path)
    assert "1. Hvad var formålet?" in text
    assert "At få flere borgere til at bevæge sig (sammen)." in text


# Rows as a word processor would lay them out (about 68 characters wide), with
# hyphens at line ends: three of them hyphenate a word, the rest are real.
_WRAPPED = [
    "Biblioteket og skolen har i mange år delt ansvaret for hele kultur-",
    "og fritidsområdet i kommunen, og i dag låner eleverne langt flere e-",
    "bøger end trykte bøger. Det kræver et tæt og forpligtende samar-",
    "bejde med lærerne, og derfor har vi sammen indført et nyt fælles IT-",
    "system, som skolens bibliotekar Anne Lund-Madsen fra Fjordby Lund-",
    "Madsen-skolen har stået for. Hun har også arrangeret kurser for bør-",
    "nene med type 2-diabetes og deres forældre, og de har været populære.",
]
_JOINED = (
    "Biblioteket og skolen har i mange år delt ansvaret for hele kultur- og fritidsområdet i "
    "kommunen, og i dag låner eleverne langt flere e-bøger end trykte bøger. Det kræver et tæt "
    "og forpligtende samarbejde med lærerne, og derfor har vi sammen indført et nyt fælles "
    "IT-system, som skolens bibliotekar Anne Lund-Madsen fra Fjordby Lund-Madsen-skolen har stået "
    "for. Hun har også arrangeret kurser for børnene med type 2-diabetes og deres forældre, og de "
    "har været populære."
)


def _pdf(tmp_path: Path, rows: list[str], **kwargs) -> str:
    path = tmp_path / "interview.pdf"
    path.write_bytes(text_pdf_bytes(rows, wrap=200, **kwargs))
    return load_file(path)


def test_pdf_wrapped_lines_are_joined_and_hyphenation_undone(tmp_path: Path) -> None:
    text = _pdf(tmp_path, _WRAPPED)
    assert text == _JOINED + "\n"


def test_pdf_hyphenated_by_the_typesetter_reads_as_written(tmp_path: Path) -> None:
    paragraph = (
        "Samarbejdsaftalen mellem kulturforvaltningen og idrætsforeningerne blev underskrevet efter "
        "forhandlinger, der strakte sig over flere måneder, og som involverede både bestyrelsesmedlemmer, "
        "frivillighedskoordinatorer og sundhedsplejersker fra hele kommunen."
    )
    path = tmp_path / "orddeling.pdf"
    path.write_bytes(text_pdf_bytes([paragraph, "", "Næste afsnit."], wrap=50, hyphenate=True))
    from pypdf import PdfReader

    raw = PdfReader(path).pages[0].extract_text()
    assert "fri-\nvillighedskoordinatorer" in raw  # the PDF really has a word split over two lines
    assert load_file(path) == paragraph + "\n\nNæste afsnit.\n"


def test_pdf_running_header_footer_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    sentences = [f"Sætning {i} om samarbejdet mellem biblioteket og skolen i kommunen." for i in range(60)]
    paragraph = " ".join(sentences)
    for footer in ("Side {page} af {pages}", "Page {page} of {pages}", "{page}/{pages}", "{page}", "- {page} -"):
        path = tmp_path / "sider.pdf"
        path.write_bytes(
            text_pdf_bytes(
                ["1. Hvad lærte I?", paragraph, "2. Hvad nu?", "Vi fortsætter."],
                wrap=80, per_page=12, header="Kulturhus Vest – interview 2024", footer=footer,
            )
        )
        text = load_file(path)
        assert "Kulturhus Vest" not in text and "Side" not in text and "Page" not in text
        # the paragraph runs over three page breaks and comes out whole
        assert text == f"1. Hvad lærte I?\n{paragraph}\n2. Hvad nu?\nVi fortsætter.\n", footer


def test_pdf_page_number_on_a_single_page_is_dropped_but_body_numbers_stay(tmp_path: Path) -> None:
    path = tmp_path / "en side.pdf"
    path.write_bytes(text_pdf_bytes(["1. Hvor mange kom?", "42", "Det var flere end ventet.", "", "7"], wrap=200))
    assert load_file(path) == "1. Hvor mange kom?\n42\nDet var flere end ventet.\n"


def test_pdf_paragraph_breaks_and_bullets_are_kept(tmp_path: Path) -> None:
    rows = [
        "Navn: Anna Berg",
        "Rolle: Bibliotekar",
        "",
        "1. Hvad var det vigtigste, I lærte af samarbejdet med skolerne?",
        "• Vi skulle tale med lærerne tidligt, helst allerede inden skoleåret",
        "begyndte, og ikke først når projektet var sat i gang på biblioteket.",
        "• Eleverne kom mere, når biblioteket var åbent om eftermiddagen.",
        "• Kort punkt.",
        "Et kort afsnit efter listen.",
        "Et nyt afsnit, der fylder en hel linje, så det ligner løbende tekst,",
        "og som fortsætter på den næste linje uden at bryde.",
        "",
        "2. Hvad ville I gøre anderledes?",
    ]
    assert _pdf(tmp_path, rows) == (
        "Navn: Anna Berg\nRolle: Bibliotekar\n\n"
        "1. Hvad var det vigtigste, I lærte af samarbejdet med skolerne?\n"
        "• Vi skulle tale med lærerne tidligt, helst allerede inden skoleåret begyndte, og ikke først "
        "når projektet var sat i gang på biblioteket.\n"
        "• Eleverne kom mere, når biblioteket var åbent om eftermiddagen.\n"
        "• Kort punkt.\n"
        "Et kort afsnit efter listen.\n"
        "Et nyt afsnit, der fylder en hel linje, så det ligner løbende tekst, og som fortsætter på "
        "den næste linje uden at bryde.\n\n"
        "2. Hvad ville I gøre anderledes?\n"
    )


def test_pdf_dashes_and_colons_inside_a_wrapped_sentence_do_not_break_it(tmp_path: Path) -> None:
    rows = [
        "Vi brugte meget tid på at forklare vores arbejde for foreningerne",
        "– og det var godt givet ud, for det lyder ikke af meget, men netop",
        "pointen: hver part bidrager med det, der er billigt for dem selv.",
        "- Første punkt på listen efter en hel sætning, som slutter her.",
        "- Andet punkt på listen, som også er en hel sætning og slutter.",
    ]
    assert _pdf(tmp_path, rows) == (
        "Vi brugte meget tid på at forklare vores arbejde for foreningerne – og det var godt givet "
        "ud, for det lyder ikke af meget, men netop pointen: hver part bidrager med det, der er "
        "billigt for dem selv.\n"
        "- Første punkt på listen efter en hel sætning, som slutter her.\n"
        "- Andet punkt på listen, som også er en hel sætning og slutter.\n"
    )


def test_bundled_pdf_sample_reads_as_written() -> None:
    from pypdf import PdfReader

    path = SAMPLES / "sundhedspartnerskab-fjordby.pdf"
    assert len(PdfReader(path).pages) > 1  # with a running header and page numbers
    text = load_file(path)
    assert text.strip() == _make_samples().HEALTH_INTERVIEW.strip()
    assert "og to af dem har oprettet faste seniorhold" in text


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scannet.pdf"
    path.write_bytes(text_pdf_bytes(["only drawn boxes here"], text_layer=False))
    assert "scanned PDF without a text layer; run OCR first" in _load_error(path)


def test_html_drops_script_and_style_and_marks_structure(tmp_path: Path) -> None:
    path = tmp_path / "side.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>var secret = 1;</script><h2>Spørgsmål 1: Hvorfor?</h2>"
        "<p>Fordi det   virker.<br>Ny linje.</p><ul><li>Punkt et</li><li>Punkt <b>to</b></li></ul>"
        "</body></html>",
        encoding="utf-8",
    )
    text = load_file(path)
    assert "secret" not in text and "color" not in text and "DOCTYPE" not in text
    assert "## Spørgsmål 1: Hvorfor?" in text
    assert "Fordi det virker.\nNy linje." in text
    assert "• Punkt et\n• Punkt to" in text


# --- bad input ---------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "tom fil.txt"
    path.write_bytes(b"")
    assert "empty" in _load_error(path)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("  \n\t\n \u00a0 \n", encoding="utf-8")
    assert "whitespace" in _load_error(path)


def test_binary_junk_renamed_txt(tmp_path: Path) -> None:
    path = tmp_path / "billede.txt"
    path.write_bytes(os.urandom(4096) + b"\x00\x01\x02")
    assert "binary" in _load_error(path)


def test_binary_junk_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "støj.txt"
    junk = bytes(b for b in os.urandom(8192) if b) + bytes(range(1, 32)) * 20
    path.write_bytes(junk)
    message = _load_error(path)
    assert "binary" in message or "encoding" in message


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "ødelagt.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    assert "corrupt" in _load_error(path) and ".docx" in _load_error(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken file.pdf"
    path.write_bytes(b"%PDF-1.4\n garbage without objects or trailer")
    assert "PDF" in _load_error(path)


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_text("x" * 2048, encoding="utf-8")
    message = _load_error(path, max_bytes=1024)
    assert "too large" in message and "1.0 KiB" in message


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "regneark.xlsx"
    path.write_bytes(b"whatever")
    message = _load_error(path)
    assert "unsupported file type '.xlsx'" in message
    assert all(ext in message for ext in SUPPORTED_EXTENSIONS)


def test_no_extension_binary_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "scan uden navn"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    assert "binary" in _load_error(path)


def test_zip_that_is_not_docx_is_rejected(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "arkiv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hej")
    assert "not a .docx" in _load_error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _load_error(tmp_path / "væk.txt")


# --- metadata: front matter and sidecars -----------------------------------------------

INTERVIEW = "Lise Holm, projektleder på Kulturhus Vest har svaret.\n\n1) Hvad lærte I?\n• Meget.\n"


def test_front_matter_overrides_and_is_removed_from_text(tmp_path: Path) -> None:
    path = tmp_path / "fm.md"
    path.write_text(
        "---\ninterviewee: Anna Berg\norganization: Byens Skole\nperiode: 2023\n---\n" + INTERVIEW,
        encoding="utf-8",
    )
    iv = read_interview(path, "fm.md")
    assert iv.text == INTERVIEW
    assert (iv.interviewee, iv.role, iv.organisation) == ("Anna Berg", "projektleder", "Byens Skole")
    assert iv.extra == {"periode": "2023"}
    assert iv.qa[0].answers[0].text == "Meget."


def test_invalid_front_matter_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "dårlig.md"
    path.write_text("---\ninterviewee: [Anna\ncase: x\n---\n" + INTERVIEW, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        read_interview(path, "dårlig.md")
    assert "invalid YAML front matter" in str(info.value) and "dårlig.md" in str(info.value)


def test_leading_rule_is_not_front_matter() -> None:
    text = "---\nBare en streg.\n---\nMere tekst.\n"
    assert split_front_matter(text) == ({}, text)


@pytest.mark.parametrize("suffix", SIDECAR_SUFFIXES)
def test_sidecar_overrides_front_matter_and_changes_the_hash(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "lise.txt"
    path.write_text("---\ncase: Fra front matter\n---\n" + INTERVIEW, encoding="utf-8")
    before = content_hash(path)
    sidecar = tmp_path / f"lise{suffix}"
    sidecar.write_text("case: Fra sidecar\nrole: Leder\nsprog: da\n", encoding="utf-8")
    assert is_sidecar(sidecar) and not is_sidecar(path)
    assert content_hash(path) != before
    iv = read_interview(path, "lise.txt")
    assert (iv.case, iv.role, iv.language) == ("Fra sidecar", "Leder", "da")


def test_invalid_sidecar_names_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "x.meta.yaml").write_text("case: [unclosed\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        read_interview(path, "x.txt")
    assert "x.meta.yaml" in str(info.value) and "invalid YAML" in str(info.value)


def test_read_interview_wraps_parser_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.pipeline as pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("kaput")

    monkeypatch.setattr(pipeline, "parse_interview", boom)
    path = tmp_path / "y.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        read_interview(path, "y.txt")
    assert "y.txt" in str(info.value) and "kaput" in str(info.value)


# --- the bundled samples all load --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in SAMPLES.iterdir() if not p.name.startswith("README") and not is_sidecar(p)),
)
def test_bundled_samples_parse_as_interviews(name: str) -> None:
    iv = read_interview(SAMPLES / name, name)
    assert iv.structure == "qa" and len(iv.qa) >= 5
    assert iv.interviewee and iv.organisation and iv.case
    assert all(q.answers for q in iv.qa), iv.warnings
    assert iv.warnings == []
