"""HTML → text: the page's content with its block structure as line breaks.

Scripts, styles and site chrome (nav, footer) are dropped; headings become
``#`` lines and list items ``• `` lines, which the parser relies on. The page
title stands in for a missing <h1>.
"""
from __future__ import annotations

import re

__all__ = ["html_text"]

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form "
    "header hr main nav ol p pre section table tr ul td th caption tbody thead tfoot".split()
)
# nav/footer are site chrome, never interview content.
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "iframe", "svg", "nav", "footer")


def html_text(data: bytes) -> str:
    """Never fails: html.parser makes a tree of whatever it is given."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    parts: list[str] = []
    if title and not soup.find("h1"):
        parts.append("# " + title + "\n\n")

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                parts.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name == "br":
                parts.append("\n")
            elif name == "li":
                parts.append("\n• ")  # the list (a block) closes the last line
                walk(child)
            elif re.fullmatch(r"h[1-6]", name):
                parts.append("\n\n" + "#" * int(name[1]) + " ")
                walk(child)
                parts.append("\n\n")
            elif name in ("p", "blockquote", "table"):
                parts.append("\n\n")
                walk(child)
                parts.append("\n\n")
            elif name in _BLOCK_TAGS:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(soup)
    text = "".join(parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)  # HTML whitespace around breaks is not content
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"•[ \n]+", "• ", text)  # <li><p>..</p></li> keeps its text on the bullet line
    return text.strip("\n ") + "\n"
