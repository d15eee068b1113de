"""Keep the complete entries of a digest that was cut off (a download or copy that stopped early).

A truncated feed or JSON list is not well-formed, so its parser refuses it as a whole. The
functions here cut such a text after its last complete entry and close what is still open, which
gives the parser a well-formed text of the entries before the cut. They only accept a text whose
first problem is its end: a file broken in the middle is still refused as before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lxml import etree

from zotrec.sources.common import ParseProblem

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_RECORD_END = re.compile(r"</(?:[\w.-]+:)?(?:entry|item)\s*>")
_RECORD_START = re.compile(r"<(?:[\w.-]+:)?(?:entry|item)[\s>/]")
_RECORDS = ("entry", "item")


@dataclass
class Repaired:
    """The well-formed text of the entries before the cut, and what the user is told."""

    text: str
    kept: int
    line: int
    mid_entry: bool = True  # the text ends inside an entry (else between two, before its closing tags)

    @property
    def note(self) -> str:
        entries = "entry" if self.kept == 1 else f"{self.kept} entries"
        if not self.mid_entry:
            return (
                f"partly read: the file ends at line {self.line} without its closing tags (cut off?); "
                f"read the {entries} before the cut, any later ones are missing"
            )
        return (
            f"partly read: the file ends in the middle of an entry at line {self.line} (cut off?); "
            f"read the {entries} before the cut, the rest is missing"
        )


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _xml_error_line(text: str) -> int | None:
    """The line of the first well-formedness error of ``text`` (None: well-formed, or an undefined entity)."""
    data = _XML_DECL.sub("", text, count=1).encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        if "Entity '" in str(err) and "not defined" in str(err):
            return None
        return err.lineno or None
    return None


def _qname(element: etree._Element) -> str:
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def repair_xml(text: str) -> Repaired | None:
    """The feed cut after its last complete ``entry`` / ``item``, its open elements closed.

    None when the text is well-formed, when its first error is not on its last line (broken, not
    cut off), or when no entry is complete before the cut.
    """
    error_line = _xml_error_line(text)
    if error_line is None or error_line < text.rstrip().count("\n") + 1:
        return None
    ends = list(_RECORD_END.finditer(text))
    if not ends:
        return None
    prefix = text[: ends[-1].end()]
    recovering = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(_XML_DECL.sub("", prefix, count=1).encode("utf-8"), recovering)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    records = [el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in _RECORDS]
    if not records:
        return None
    closing = "".join(f"</{_qname(el)}>" for el in records[-1].iterancestors())
    repaired = prefix + closing
    if _xml_error_line(repaired) is not None:
        return None
    kept = len(_RECORD_START.findall(prefix))
    return Repaired(repaired, kept, error_line, bool(_RECORD_START.search(text, ends[-1].end())))


def _closes(text: str, start: int) -> bool:
    """Whether the JSON value starting at ``start`` closes its brackets before the text ends."""
    depth, in_string, escaped = 0, False, False
    for ch in text[start:]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth <= 0:
                return True
    return False


def repair_json_list(text: str) -> Repaired | None:
    """A top-level JSON list cut after its last complete element (None: not a cut-off list)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("["):
        return None
    decoder = json.JSONDecoder()
    pos, end, kept = 1, 0, 0
    while True:
        while pos < len(stripped) and stripped[pos] in " \t\r\n":
            pos += 1
        try:
            _, after = decoder.raw_decode(stripped, pos)
        except json.JSONDecodeError:
            break
        kept, end = kept + 1, after
        pos = after
        while pos < len(stripped) and stripped[pos] in " \t\r\n":
            pos += 1
        if pos >= len(stripped):
            break  # cut off between two elements
        if stripped[pos] != ",":
            return None  # the list ends (or breaks) here: not a cut in the middle of an element
        pos += 1
    if not kept or (pos < len(stripped) and _closes(stripped, pos)):
        return None  # nothing complete, or the element after the last good one is broken, not cut off
    return Repaired(stripped[:end] + "]", kept, _line_of(text, len(text.rstrip())), pos < len(stripped))


def repair(text: str, problem: ParseProblem) -> Repaired | None:
    """The entries of ``text`` before a cut, when ``problem`` came from a feed or a JSON list cut off."""
    message = str(problem)
    if "malformed XML" in message:
        return repair_xml(text)
    if "invalid JSON" in message:
        return repair_json_list(text)
    return None
