"""Zotero RDF exports: items with tags (dc:subject) and collection paths (z:Collection)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, one_line, parse_date

NAME = "zotero-rdf"

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "z": "http://www.zotero.org/namespaces/export#",
    "dcterms": "http://purl.org/dc/terms/",
    "bib": "http://purl.org/net/biblio#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "link": "http://purl.org/rss/1.0/modules/link/",
}
RDF_ABOUT = f"{{{NS['rdf']}}}about"
RDF_RESOURCE = f"{{{NS['rdf']}}}resource"
SKIP_TYPES = {"attachment", "note", "annotation"}


def _text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _child_text(node, path: str) -> str:
    found = node.find(path, NS)
    return _text(found)


CREATOR_LISTS = ("bib:authors", "bib:editors", "bib:contributors")  # as the Better BibTeX JSON reader counts them


def _authors(node) -> list[str]:
    """The item's authors, then its editors and contributors (a proceedings paper's editors, a
    book's editors when it has no author), as the Better BibTeX JSON export of the same item gives."""
    names = []
    people = [person for tag in CREATOR_LISTS for person in node.iterfind(f"{tag}/rdf:Seq/rdf:li/*", NS)]
    for person in people:
        given = _child_text(person, "foaf:givenName") or _child_text(person, "foaf:givenname")
        family = _child_text(person, "foaf:surname") or _child_text(person, "foaf:name")
        name = f"{given} {family}".strip()
        if name:
            names.append(name)
    return names


def _identifiers(node) -> tuple[str | None, str | None]:
    """(doi, url) from dc:identifier children: "DOI 10.x/y" strings and dcterms:URI values."""
    doi = url = None
    for ident in node.iterfind("dc:identifier", NS):
        uri = ident.find("dcterms:URI/rdf:value", NS)
        if uri is not None:
            url = url or _text(uri)
            continue
        value = _text(ident)
        if value.upper().startswith("DOI"):
            doi = doi or normalize_doi(value)
    return doi, url


def _tags(node) -> list[str]:
    tags = []
    for subject in node.iterfind("dc:subject", NS):
        value = subject.find(".//rdf:value", NS)
        tag = _text(value) if value is not None else _text(subject)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _collections(root) -> dict[str, list[str]]:
    """Map item resource -> collection paths ("Parent/Child")."""
    titles: dict[str, str] = {}
    parts: dict[str, list[str]] = {}
    for coll in root.iterfind("z:Collection", NS):
        about = coll.get(RDF_ABOUT) or ""
        titles[about] = _child_text(coll, "dc:title") or about
        parts[about] = [p.get(RDF_RESOURCE) for p in coll.iterfind("dcterms:hasPart", NS) if p.get(RDF_RESOURCE)]
    parent = {child: about for about, children in parts.items() for child in children if child in titles}

    def path(about: str) -> str:
        names, seen = [], set()
        while about and about not in seen:
            seen.add(about)
            names.append(titles[about].replace("/", "∕"))
            about = parent.get(about, "")
        return "/".join(reversed(names))

    membership: dict[str, list[str]] = {}
    for about, children in parts.items():
        for child in children:
            if child not in titles:
                membership.setdefault(child, []).append(path(about))
    return membership


def _container(node: Any, following: list[Any]) -> Any:
    """The journal or book a node is part of: inline, or a top-level node among the few that follow it."""
    part_of = node.find("dcterms:isPartOf", NS)
    if part_of is None:
        return None
    resource = part_of.get(RDF_RESOURCE)
    if not resource:
        return next(iter(part_of), None)
    return next((c for c in following if isinstance(c.tag, str) and c.get(RDF_ABOUT) == resource), None)


def parse(text: str, source: str, options: Options) -> list[Paper]:
    data = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip()).encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise ParseProblem(f"malformed XML ({one_line(err, 120)})") from None
    membership = _collections(root)
    children = list(root)
    papers: list[Paper] = []
    for index, node in enumerate(children):
        if not isinstance(node.tag, str):
            continue
        item_type = _child_text(node, "z:itemType")
        if not item_type or item_type in SKIP_TYPES:
            continue
        title = _child_text(node, "dc:title")
        if not title:
            continue
        about = node.get(RDF_ABOUT) or ""
        doi, url = _identifiers(node)
        journal = None
        extras: dict = {"zotero_rdf_about": about} if about else {}
        container = _container(node, children[index + 1 : index + 6])
        if container is not None:
            journal = _child_text(container, "dc:title") or None
            c_doi, _ = _identifiers(container)
            doi = doi or c_doi
            for tag, name in (("prism:volume", "volume"), ("prism:number", "issue")):
                value = (
                    container.find(tag, {"prism": container.nsmap.get("prism", "")})
                    if "prism" in container.nsmap
                    else None
                )
                if value is not None and _text(value):
                    extras[name] = _text(value)
        raw_arxiv = next(
            (
                v
                for v in (url, about, _child_text(node, "dc:description"))
                if v and "arxiv" in v.lower() and normalize_arxiv_id(v)
            ),
            None,
        )
        if doi and doi.startswith("10.48550/arxiv."):
            raw_arxiv = raw_arxiv or doi
        paper = Paper(
            title=title,
            abstract=_child_text(node, "dcterms:abstract"),
            authors=_authors(node),
            date=parse_date(_child_text(node, "dc:date")),
            arxiv_id=normalize_arxiv_id(raw_arxiv) if raw_arxiv else None,
            arxiv_version=arxiv_version(raw_arxiv) if raw_arxiv else None,
            doi=doi,
            url=url or (about if about.startswith("http") else None),
            source=source,
            journal=journal,
            item_type=item_type,
            collections=membership.get(about, []),
            tags=_tags(node),
            date_added=_child_text(node, "dcterms:dateSubmitted") or None,
            extras=extras,
        )
        papers.append(paper)
    if not papers:
        raise ParseProblem("no Zotero items in the RDF file")
    return papers
