"""A small LaTeX-to-text cleaner for BibTeX fields (accents, escapes, protective braces)."""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_SYMBOLS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "textbar": "|", "textendash": "–",
    "textemdash": "—", "textquoteright": "’", "textquoteleft": "‘", "textasciitilde": "~",
    "textbackslash": "\\", "textunderscore": "_", "textless": "<", "textgreater": ">",
    "textdegree": "°", "textmu": "µ", "textperiodcentered": "·", "texttimes": "×",
    "textregistered": "®", "texttrademark": "™", "textcopyright": "©", "dag": "†",
    "textquotedbl": '"', "ldots": "…", "dots": "…", "textellipsis": "…", "S": "§", "P": "¶",
}
_ACCENT_RE = re.compile(r"\\([`'^\"~=.]|[uvHckrdb](?=[\s{]))\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_SYMBOL_RE = re.compile(r"\\(" + "|".join(sorted(map(re.escape, _SYMBOLS), key=len, reverse=True)) + r")(?![A-Za-z])\s?")
_ESCAPES = re.compile(r"\\([&%$#_{}])")
_FONT = re.compile(r"\\(?:textit|textbf|emph|textsc|textrm|texttt|mathrm|mathit|textsf|textsubscript|textsuperscript|mbox)\s*\{")


def _accent(match: re.Match) -> str:
    mark = _ACCENTS[match.group(1)]
    base = match.group(2) or match.group(3)
    base = {"\\i": "i", "\\j": "j"}.get(base, base.lstrip("\\"))
    return unicodedata.normalize("NFC", base + mark)


def latex_to_text(value: str | None) -> str:
    """Turn a BibTeX field into plain text, keeping inline math ($...$) as written."""
    if not value:
        return ""
    text = str(value)
    if "\\" in text:
        text = _ACCENT_RE.sub(_accent, text)
        text = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m.group(1)], text)
        text = _FONT.sub("{", text)
        text = _ESCAPES.sub(r"\1", text)
        text = text.replace("\\\\", " ").replace("\\,", " ").replace("\\ ", " ")
    # drop protective braces outside math
    parts = re.split(r"(\$[^$]*\$)", text)
    text = "".join(p if p.startswith("$") else p.replace("{", "").replace("}", "") for p in parts)
    text = text.replace("---", "—").replace("--", "–")
    return " ".join(text.split())
