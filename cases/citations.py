"""How to cite a published analysis version or a rubric version: pure formatting, no database.

One ``Citation`` is built from the rows a page already has, then written out
as the house style, APA (7th edition, "webpage/report" shape), BibTeX
(``@misc``), CSL-JSON (an array of one item) and the ``<meta>`` tags that
reference managers read (Highwire ``citation_*`` for Zotero and Google
Scholar, Dublin Core ``DC.*``). The author is the newsroom, never an editor's
account name: the byline of a Moatwatch analysis is Moatwatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

PUBLISHER = "Moatwatch"


@dataclass(frozen=True)
class Citation:
    key: str  # a BibTeX key and CSL id: letters, digits, dashes
    title: str
    version: int
    issued: date
    url: str
    genre: str  # "Analysis" or "Rubric"
    note: str = ""  # e.g. the rubric an analysis was scored under, or a correction
    abstract: str = ""


def _day(at: datetime | date) -> date:
    return at.date() if isinstance(at, datetime) else at


def case_version_citation(case, version, *, url: str) -> Citation:
    """A published (or superseded) analysis version of a published case, at its permanent ``url``."""
    rubric = version.evaluation.rubric_version
    note = f"Scored under {rubric.rubric.name} v{rubric.number}."
    if version.correction_note:
        note += f" Correction: {version.correction_note}"
    return Citation(
        key=f"moatwatch-{case.slug}-v{version.number}",
        title=case.title,
        version=version.number,
        issued=_day(version.published_at),
        url=url,
        genre="Analysis",
        note=note,
        abstract=version.verdict or case.summary,
    )


def rubric_version_citation(rubric_version, *, url: str) -> Citation:
    """An active or retired rubric version (the method), dated from its activation."""
    issued = rubric_version.activated_at or rubric_version.created_at
    return Citation(
        key=f"moatwatch-rubric-{rubric_version.rubric.slug}-v{rubric_version.number}",
        title=f"{rubric_version.rubric.name}",
        version=rubric_version.number,
        issued=_day(issued),
        url=url,
        genre="Rubric",
        abstract=rubric_version.rubric.description,
    )


def house_style(c: Citation) -> str:
    """Moatwatch's own: Moatwatch, "Title", analysis version 3, 5 May 2026, URL."""
    return f"{PUBLISHER}, “{c.title}”, {c.genre.lower()} version {c.version}, {c.issued.day} {c.issued:%B %Y}, {c.url}."


def apa(c: Citation) -> str:
    """APA 7: Group author. (Year, Month Day). Title (Version n) [Description]. Site. URL"""
    when = f"{c.issued.year}, {c.issued:%B} {c.issued.day}"
    return f"{PUBLISHER}. ({when}). {c.title} (Version {c.version}) [{c.genre}]. {c.url}"


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    # BibTeX counts braces even after a backslash, so a lone \{ would unbalance the field.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field: LaTeX specials escaped, no line breaks."""
    text = re.sub(r"\s+", " ", text).strip()
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


def bibtex(c: Citation) -> str:
    fields = [
        ("title", bibtex_escape(c.title)),
        ("author", "{" + PUBLISHER + "}"),  # a corporate author: double braces keep it whole
        ("organization", PUBLISHER),
        ("year", str(c.issued.year)),
        ("month", c.issued.strftime("%b").lower()),
        ("date", c.issued.isoformat()),
        ("version", str(c.version)),
        ("type", c.genre),
        ("url", c.url),
        ("note", bibtex_escape(c.note or f"{c.genre} version {c.version}")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{c.key},\n{body}\n}}\n"


def csl_json(c: Citation) -> list[dict]:
    """CSL-JSON: an array of items, as Zotero, Pandoc and citeproc read it."""
    item = {
        "id": c.key,
        "type": "report" if c.genre == "Rubric" else "article",
        "title": c.title,
        "author": [{"literal": PUBLISHER}],
        "publisher": PUBLISHER,
        "container-title": PUBLISHER,
        "genre": c.genre,
        "version": str(c.version),
        "issued": {"date-parts": [[c.issued.year, c.issued.month, c.issued.day]]},
        "URL": c.url,
    }
    if c.note:
        item["note"] = c.note
    if c.abstract:
        item["abstract"] = c.abstract
    return [item]


def meta_tags(c: Citation) -> list[tuple[str, str]]:
    """(name, content) pairs: Highwire Press ``citation_*`` then Dublin Core ``DC.*``."""
    day = c.issued.strftime("%Y/%m/%d")
    return [
        ("citation_title", c.title),
        ("citation_author", PUBLISHER),
        ("citation_publisher", PUBLISHER),
        ("citation_publication_date", day),
        ("citation_online_date", day),
        ("citation_public_url", c.url),
        ("citation_abstract_html_url", c.url),
        ("citation_technical_report_number", f"{c.genre} version {c.version}"),
        ("DC.title", c.title),
        ("DC.creator", PUBLISHER),
        ("DC.publisher", PUBLISHER),
        ("DC.date", c.issued.isoformat()),
        ("DC.type", "Text"),
        ("DC.format", "text/html"),
        ("DC.identifier", c.url),
        ("DC.language", "en"),
        ("DC.description", c.abstract),
    ]
