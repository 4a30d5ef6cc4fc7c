"""Regenerate the binary sample interviews (.docx, .pdf) in data/interviews/.

    python data/make_samples.py

The people and organisations are fictional (see data/interviews/README.md).
The PDF is written by a tiny hand-rolled writer (no extra dependency): one
Helvetica text layer in WinAnsi encoding, enough for pypdf to extract Danish
text. Tests import ``text_pdf_bytes`` from here to build PDFs on the fly.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent / "interviews"


def text_pdf_bytes(
    lines: list[str],
    *,
    wrap: int = 95,
    text_layer: bool = True,
    per_page: int = 60,
    header: str = "",
    footer: str = "",
    hyphenate: bool = False,
) -> bytes:
    """A minimal valid PDF showing ``lines`` (wrapped), paginated at ``per_page`` lines.

    ``header``/``footer``: a running header above and footer below the text of
    every page, with ``{page}`` and ``{pages}`` filled in (e.g. "Side {page} af
    {pages}"). ``hyphenate``: long words at a line end are split with a hyphen,
    as a typesetter does. With ``text_layer=False`` the pages only carry drawn
    rectangles, like a scanned page without OCR: a valid PDF with nothing to
    extract.
    """
    rows: list[str] = []
    for line in lines:
        rows += (_hyphenated(line, wrap) if hyphenate else textwrap.wrap(line, wrap)) or [""]
    pages = [rows[i:i + per_page] for i in range(0, max(len(rows), 1), per_page)]

    objects: list[bytes] = []  # object n is objects[n - 1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # page tree, filled in once the page ids are known
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for number, page in enumerate(pages, start=1):
        if text_layer:
            ops = []
            if header:
                ops += ["BT", "/F1 8 Tf", "50 820 Td", f"({_pdf_string(header, number, len(pages))}) Tj", "ET"]
            ops += ["BT", "/F1 10 Tf", "14 TL", "50 800 Td"]
            for row in page:
                ops.append(f"({_pdf_string(row)}) Tj T*")
            ops.append("ET")
            if footer:
                ops += ["BT", "/F1 8 Tf", "270 30 Td", f"({_pdf_string(footer, number, len(pages))}) Tj", "ET"]
        else:
            ops = ["0.2 g"] + [f"50 {800 - 14 * i} {min(480, 5 * len(r) + 1)} 8 re f" for i, r in enumerate(page)]
        stream = "\n".join(ops).encode("cp1252")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_id
        )
        page_ids.append(len(objects))
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_string(text: str, page: int = 0, pages: int = 0) -> str:
    text = text.replace("{page}", str(page)).replace("{pages}", str(pages))
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _hyphenated(line: str, wrap: int) -> list[str]:
    """Wrap ``line`` at ``wrap`` characters, splitting a long word that does not
    fit with a hyphen (at least three letters on each side)."""
    rows: list[str] = []
    row = ""
    for word in line.split():
        if not row or len(row) + 1 + len(word) <= wrap:
            row = f"{row} {word}" if row else word
            continue
        room = wrap - len(row) - 2  # a space and the hyphen
        if word.isalpha() and room >= 3 and len(word) - room >= 3:
            rows.append(f"{row} {word[:room]}-")
            row = word[room:]
        else:
            rows.append(row)
            row = word
    if row:
        rows.append(row)
    return rows


HEALTH_INTERVIEW = """\
Bevæg dig i Fjordby – et sundhedspartnerskab mellem kommune, idrætsforeninger og lægepraksis

Navn: Birgitte Lund-Madsen
Rolle: Sundhedskonsulent
Organisation: Sundhed og Omsorg, Fjordby Kommune
Projekt: Bevæg dig i Fjordby

Bevæg dig i Fjordby henviser borgere med type 2-diabetes og let overvægt fra de praktiserende læger til motionshold i lokale idrætsforeninger. Kommunen koordinerer og uddanner foreningernes trænere, foreningerne stiller hold og haller til rådighed.

1. Hvad fik jer til at søge samarbejde med foreningslivet?
Kommunens egne genoptræningshold var fyldt op, og vi kunne se, at borgerne faldt fra, så snart forløbet sluttede efter tolv uger. Vi manglede et sted, hvor de kunne fortsætte uden at være patienter.
Foreningerne har noget, vi aldrig kan skabe i en kommunal sal: et fællesskab, der fortsætter efter forløbet. Det var hele pointen med at gå sammen med dem.

2. Hvilke forhindringer har der været mellem en kommune og frivillige foreninger?
Sproget og tempoet. Vi arbejder med sagsgange, journaler og godkendelser, mens en forening træffer beslutninger på et bestyrelsesmøde en tirsdag aften. Det første halve år sendte vi alt for lange skrivelser til folk, der laver det i deres fritid.
Der var også en reel bekymring i foreningerne for at få et ansvar, de ikke kunne løfte. Flere trænere spurgte, hvad de skulle gøre, hvis en deltager fik det dårligt, og det måtte vi tage alvorligt med kurser i førstehjælp og klare aftaler om, hvornår en borger skal tilbage til lægen.

3. Hvordan har I fordelt ressourcerne?
Kommunen betaler trænerkurser og et fast tilskud pr. deltager til foreningerne, og jeg har selv omkring en dag om ugen til koordinering. Foreningerne bidrager med haltid og frivillige trænere, og lægerne bruger et par minutter ekstra på at henvise.
Det lyder ikke af meget, men det er netop pointen: hver part bidrager med det, der er billigt for dem og dyrt for de andre.

4.Hvor lang tid gik der, før I kunne se effekt?
Det tog næsten to år. Det første år handlede om at få lægerne til at huske ordningen, og henvisningerne kom langsomt. Når en læge først havde set en patient komme glad tilbage fra et hold, begyndte henvisningerne at komme af sig selv.

5. Hvilke resultater kan I pege på i dag?
Omkring 70 procent af deltagerne er stadig aktive i en forening et år efter henvisningen, og flere er blevet hjælpetrænere. Det er langt bedre end vores egne forløb.
Foreningerne har fået nye medlemmer i en aldersgruppe, de ellers havde svært ved at nå, og to af dem har oprettet faste seniorhold uden kommunalt tilskud.

6. Hvad skal andre kommuner være opmærksomme på, hvis de vil kopiere modellen?
Afstem forventningerne skriftligt fra start: hvad må foreningerne forvente af kommunen, og hvad er de ikke forpligtet til. Og læg koordineringen hos én navngiven person. Et netværk mellem tre sektorer holder kun, hvis nogen har det som sin opgave at passe på det.
"""


def make_pdf() -> Path:
    path = HERE / "sundhedspartnerskab-fjordby.pdf"
    # three pages with a running header and page numbers, as exported from a
    # word processor: the loader has to drop them and join what they interrupt
    pdf = text_pdf_bytes(
        HEALTH_INTERVIEW.splitlines(),
        per_page=20,
        header="Bevæg dig i Fjordby · interview (fiktivt eksempel)",
        footer="Side {page} af {pages}",
    )
    path.write_bytes(pdf)
    return path


def make_docx() -> Path:
    import docx

    document = docx.Document()
    document.core_properties.author = "Casebase sample"
    document.add_heading("Open Bench: a makerspace and a public library share a workshop", level=1)
    document.add_paragraph(
        "Daniel Okafor, Partnerships Manager at Northgate Makerspace, answered our questions about "
        "Open Bench, a weekly repair and build night the makerspace runs with Eastfield Public Library."
    )
    document.add_heading("About the partnership", level=2)
    document.add_paragraph(
        "Open Bench started in 2021 in the library's old periodicals room. The makerspace brings tools, "
        "volunteer mentors and safety training; the library brings the room, its opening hours and a "
        "steady stream of visitors who would never walk into a makerspace."
    )
    table = document.add_table(rows=3, cols=2)
    for row, (partner, role) in zip(table.rows, [
        ("Partner", "Contribution"),
        ("Northgate Makerspace", "Tools, mentors, safety training"),
        ("Eastfield Public Library", "Room, opening hours, outreach to families"),
    ]):
        row.cells[0].text, row.cells[1].text = partner, role

    qa = [
        ("Why did a makerspace go looking for a library partner?", [
            "Our members were mostly the same kind of people: engineers, hobbyists, people who already "
            "owned a soldering iron. We wanted retirees, teenagers and families, and the library already "
            "had their trust.",
            "Honestly, we also needed a room with a ground-floor entrance. Our own workshop is up two "
            "flights of stairs, which quietly excluded a lot of people.",
        ], False),
        ("What got in the way during the first year?", [
            "Insurance. The library's insurer had never covered a band saw in a public building, and it "
            "took four months of letters before anyone agreed who was liable for what.",
            "Different rhythms of decision-making. We can decide something in a chat thread in an evening; "
            "the library needed a sign-off from the council's facilities team for every new machine.",
            "Volunteer burnout. Two mentors carried the first six months alone before we built a rota.",
        ], True),
        ("How do you split the costs and the work?", [
            "The library covers the room, electricity and promotion. We cover consumables, tool "
            "maintenance and the mentors' training. Neither side pays the other, which keeps the "
            "paperwork light.",
            "The hidden cost is coordination: I spend roughly half a day a week on scheduling, "
            "safety checks and answering questions from library staff.",
        ], False),
        ("What results can you point to?", [
            "About 400 items repaired in the first two years, mostly lamps, bikes and toys.",
            "A third of our new members joined after their first visit to Open Bench.",
            "Library staff have started to refer patrons to us, and we now run a children's "
            "electronics club in the school holidays together.",
        ], True),
        ("What would you tell another makerspace that wants to work with a library?", [
            "Agree in writing what success looks like before the first session. For the library it was "
            "visitor numbers, for us it was new members, and we only discovered that mismatch when "
            "the first report was due.",
            "Give it time. It took us about eighteen months before the partnership felt routine rather "
            "than an experiment.",
        ], False),
    ]
    for number, (question, answers, bullets) in enumerate(qa, start=1):
        document.add_heading(f"{number}. {question}", level=2)
        for answer in answers:
            document.add_paragraph(answer, style="List Bullet" if bullets else None)
    path = HERE / "makerspace-library-open-bench.docx"
    document.save(path)
    return path


if __name__ == "__main__":
    for made in (make_pdf(), make_docx()):
        print(f"wrote {made.relative_to(HERE.parent.parent)}")
