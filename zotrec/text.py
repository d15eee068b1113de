"""Clean text from outside (digests, library files): LaTeX to Unicode, no control characters.

Every field of a :class:`~zotrec.paper.Paper` passes through here once, when the Paper is built, so
no source has to remember it. LaTeX is read by pylatexenc (accents, escapes, ``\\textbf``, math):
``Fr\\'ed\\'eric`` -> ``Frédéric``, ``$z=2.06$`` -> ``z=2.06``, ``$\\alpha$`` -> ``α``. The parser
runs only on strings holding a backslash or a brace; a string whose only markup is ``$...$`` loses
the dollar signs by a regular expression (the parser's result for it), so plain text costs one scan;
TeX's paired double quotes become “ and ” there too.
Plain fragments (``$\\frac{a}{b}$``, ``\\emph{x}``: most of them) are decoded by the parser's own
rules and macro tables without running it.

Removed everywhere: terminal escape sequences (CSI, OSC), C0/C1 control characters, NULs, bidi
overrides and unpaired UTF-16 surrogates (what a half-cut emoji becomes in JSON). Only http(s) URLs
are kept.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

# Terminal escape sequences first (so their printable tails go too), then single control characters.
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL / ST (hyperlinks, window titles)
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor moves, screen clears)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence, or a lone ESC
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LATEX = re.compile(r"[\\{}]")
_MATH = re.compile(r"\$\$?([^$]+?)\$?\$")
_TEX_QUOTES = re.compile(r"``((?:[^`']|'(?!'))*)''")  # TeX's paired double quotes, also in text without macros
# In running text (an HF abstract, a Zotero title) these are characters, not LaTeX specials:
# % would start a comment and drop the rest of the string, & is an alignment tab.
_LITERAL = re.compile(r"(?<!\\)([%&#])")


class _Marks(dict[int, int | None]):
    """A ``str.translate`` table dropping characters of non-zero combining class, filled as met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def strip_accents(text: str) -> str:
    """``text`` in NFKD with its combining marks dropped (scikit-learn's ``strip_accents_unicode``):
    ASCII text as it is, else only its runs of non-ASCII characters translated (a translate costs
    per character, and most characters of a paper's text are ASCII)."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(_unmarked, unicodedata.normalize("NFKD", text))


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _unmarked(run: re.Match[str]) -> str:
    return run.group(0).translate(_MARKS)


def strip_controls(value: str) -> str:
    """``value`` without terminal escapes, control characters, bidi overrides or lone surrogates."""
    if not _CONTROLS.search(value):
        return value
    return _CONTROLS.sub("", _ESCAPES.sub("", value))


@lru_cache(maxsize=1)
def _parser() -> tuple[Any, Any, Any]:
    """pylatexenc's walker class, its macro database (built once) and the text converter."""
    from pylatexenc.latex2text import LatexNodes2Text
    from pylatexenc.latexwalker import LatexWalker, get_default_latex_context_db

    logging.getLogger("pylatexenc").setLevel(logging.ERROR)  # it warns about macros it half-knows
    return LatexWalker, get_default_latex_context_db(), LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


_GROUP = r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}"  # a brace group, one level of nesting inside
# The pieces of a string that are LaTeX: inline math, a macro with its braced arguments (or the
# one letter an accent macro takes: \c C), a symbol escape (\'e, \&, \\), a brace group.
_ISLAND = re.compile(
    r"\$\$?[^$]+\$?\$"
    r"|\\[A-Za-z]+\*?(?:\s*(?:" + _GROUP + r"|\[[^\]]*\]))*(?:\s+[A-Za-z](?![A-Za-z]))?"
    r"|\\[%&#$_{} ,;:!]"
    r"|\\[^A-Za-z\s](?:" + _GROUP + r"|\\[A-Za-z]+|[A-Za-z])?"
    r"|" + _GROUP
)
_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


@lru_cache(maxsize=65536)
def _island(latex: str) -> str:
    """One LaTeX fragment as text (fragments such as \\'e or $\\alpha$ repeat: cached)."""
    if latex[0] == "$" and not _LATEX.search(latex):
        return latex.strip("$")  # $z=2.06$: what the parser would give, without it
    if latex[0] != "$":
        text = _plain_latex(latex, math=False)
    elif len(latex) > 2 and latex[1] != "$" and latex[-1] == "$":
        text = _plain_math(latex[1:-1])
    else:
        text = None
    if text is not None:
        return text
    (text,) = _parsed(latex)
    return text


def _parsed(latex: str) -> Iterator[str]:
    """pylatexenc's text of ``latex`` (the fragment as written when it cannot read it), yielded.

    A generator on purpose: the parser keeps the exception that ends its input, with its traceback,
    in a reference cycle, and a finished frame in such a cycle holds its caller's frame, that one
    its caller's, and so on with all their locals (in a run: the library's previous features) until
    the next garbage collection. A generator's frame does not link to the frame that ran it."""
    try:
        walker_class, context, converter = _parser()
        walker = walker_class(_LITERAL.sub(r"\\\1", latex), latex_context=context, tolerant_parsing=True)
        yield str(converter.nodelist_to_text(walker.get_latex_nodes()[0]))
    except Exception:  # a fragment the parser cannot read stays as written
        yield latex


# LaTeX the parser reads as plain characters, brace groups, ~, macros without arguments (\\alpha,
# \\sim, \\rm, \\, \\%) and macros of one or two arguments whose text is made from the arguments'
# (\\mathrm{d}, \\frac n5, \\bar{x}, \\mathbb R); nothing else: no optional argument or star given (a
# [ or * after such a macro sends the fragment to the parser), no comment, alignment or ligature
# characters, no whitespace but spaces.
_NOT_PLAIN_MATH = re.compile(r"\\(?![^\W\d_]|[,;:! |{}%])|(?<!\\)[%&#]|[$]|[^\S ]|--|''|``|!`|\?`")
# a macro and the spaces after it, a brace or ~, a run of characters
_MATH_TOKEN = re.compile(r"\\([^\W\d_]+|[,;:! |{}%])( *)|([{}~])|([^\\{}~]+)")


@lru_cache(maxsize=4096)
def _bare_macro(name: str) -> str | None:
    """The parser's text of macro ``name`` when it takes no argument and stands for a fixed string."""
    _, context, converter = _parser()
    spec = context.get_macro_spec(name)  # None: unknown to the parser, read without arguments
    if spec is not None and getattr(spec.args_parser, "argspec", None) != "":
        return None
    text_spec = converter.latex_context.get_macro_spec(name)
    repl = text_spec.simplify_repl if text_spec is not None else None
    if not repl:
        return ""  # unknown or discarded: nothing
    if name == "%":
        return "%"  # its replacement is a function giving "%" (a string would be a template)
    return None if callable(repl) or ("%" in repl and len(repl) != 1) else repl


_Format = Callable[[list[str]], str]
_ARGSPEC = re.compile(r"[*\[]*\{\{?")  # one or two braced arguments after any star or optional ones
_TEMPLATE_S = re.compile(r"(?:[^%]|%s)*")  # "%s/%s": the arguments' texts in order
_TEMPLATE_N = re.compile(r"(?:[^%]|%\([1-9]\)s)*")  # "√(%(2)s)": arguments by number


@lru_cache(maxsize=4096)
def _argument_macro(name: str) -> tuple[int, _Format] | None:
    """For a macro of one or two braced arguments (maybe after a star or optional ones, left out) whose
    text the parser makes from its arguments' texts alone: their number and that function (join,
    nothing, a template such as \\frac's ``%s/%s``, a math alphabet such as \\mathbb's, an accent
    such as \\bar's); None for any other macro."""
    _, context, converter = _parser()
    spec = context.get_macro_spec(name)
    argspec = getattr(spec.args_parser, "argspec", None) if spec is not None else None
    if not isinstance(argspec, str) or not _ARGSPEC.fullmatch(argspec):
        return None
    count = argspec.count("{")
    skipped = len(argspec) - count  # left-out star and optional arguments: "" each
    text_spec = converter.latex_context.get_macro_spec(name)
    repl = text_spec.simplify_repl if text_spec is not None else None
    if not repl:  # unknown to the converter or discarded: nothing; else the arguments' texts
        return count, _nothing if text_spec is None or text_spec.discard else "".join
    if isinstance(repl, str):
        return _template(repl, count, skipped)
    if skipped or count != 1 or not callable(repl) or not isinstance(repl.__defaults__, tuple):
        return None
    default = repl.__defaults__[0]
    if repl.__qualname__ == "_mathxx_formatter.<locals>.formatter":
        from pylatexenc.latex2text import fmt_math_text_style

        return 1, lambda args: fmt_math_text_style(args[0], default)
    if "make_accented_char" in repl.__code__.co_names:
        return 1, lambda args: _accented(args[0], default)
    return None


def _template(repl: str, count: int, skipped: int) -> tuple[int, _Format] | None:
    """pylatexenc's text of a macro whose replacement is the string ``repl``."""
    if "%" not in repl or len(repl) == 1:
        return count, lambda args: repl
    if _TEMPLATE_S.fullmatch(repl) and repl.count("%s") == count + skipped:
        return count, lambda args: repl % (*[""] * skipped, *args)
    numbers = [int(n) for n in re.findall(r"%\((\d)\)s", repl)]
    if _TEMPLATE_N.fullmatch(repl) and max(numbers) <= count + skipped:
        return count, lambda args: repl % {str(i + 1): t for i, t in enumerate([""] * skipped + args)}
    return None


def _accented(text: str, combining: str) -> str:
    """pylatexenc's accent macros (\\bar{x}): each character of the stripped argument with the
    combining mark, NFC-composed (dotless i and j get their dots back)."""
    dotted = {"\u0131": "i", "\u0237": "j"}
    return "".join(unicodedata.normalize("NFC", dotted.get(ch, ch) + combining) for ch in text.strip())


def _nothing(args: list[str]) -> str:
    return ""


def _plain_math(content: str) -> str | None:
    """pylatexenc's text of ``$content$``: :func:`_plain_latex`'s, stripped."""
    text = _plain_latex(content)
    return None if text is None else text.strip()


_Nodes = list[tuple[str, str, str]]  # (kind, text, spaces after a macro)
_Macro = tuple[int, _Format, list[str]]  # a macro reading its arguments: count, format, texts so far


def _plain_latex(content: str, math: bool = True) -> str | None:
    """pylatexenc's text of ``content`` (read as math when ``math``, non-strict spaces) for the
    plain cases (:data:`_NOT_PLAIN_MATH`), without running the parser; None for any other. Its
    rules: groups lose their braces, ~ is a no-break space, a macro without arguments is its
    string and, in math, keeps the spaces after it only before characters; a macro's arguments
    (groups, or single letters or digits) make its text (:func:`_argument_macro`); in math, blank
    runs between constructs are dropped (tests compare it with the parser on every such fragment
    of the corpora)."""
    if _NOT_PLAIN_MATH.search(content):
        return None
    stack: list[tuple[_Nodes, _Macro | None]] = [([], None)]  # open groups, the macro owning each
    pending: _Macro | None = None  # a macro waits for an argument
    for name, spaces, symbol, chars in _MATH_TOKEN.findall(content):
        if pending is not None and symbol != "{":
            while pending is not None and chars[:1].isalnum():  # \\frac n5: one character each
                pending, chars = _argument(stack[-1][0], pending, chars[0]), chars[1:]
            if pending is not None:
                return None
            if not chars:
                continue
        if name:
            if name in ("begin", "end") or (not math and spaces and not name.isalpha()):
                return None  # environments; outside math a control symbol keeps the spaces after it
            repl = _bare_macro(name)
            if repl is None:
                macro = _argument_macro(name)
                if macro is None:
                    return None
                pending = (*macro, [])
                continue
            stack[-1][0].append(("macro", repl, spaces if math else ""))
        elif symbol == "{":
            stack.append(([], pending))
            pending = None
        elif symbol == "}":
            if len(stack) == 1:
                return None
            nodes, owner = stack.pop()
            if owner is None:
                stack[-1][0].append(("group", _nodes_text(nodes), ""))
            else:
                pending = _argument(stack[-1][0], owner, _nodes_text(nodes))
        elif symbol == "~":
            stack[-1][0].append(("special", "\u00a0", ""))
        else:
            stack[-1][0].append(("chars", chars if not math or chars.strip() else "", ""))
    if len(stack) != 1 or pending is not None:
        return None
    return _nodes_text(stack[0][0])


def _argument(nodes: _Nodes, macro: _Macro, text: str) -> _Macro | None:
    """Give ``macro`` its next argument's text; when it has them all, its text joins ``nodes``."""
    count, format_, args = macro
    args.append(text)
    if len(args) < count:
        return macro
    nodes.append(("group", format_(args), ""))
    return None


def _nodes_text(nodes: _Nodes) -> str:
    out, after_macro = [], ""
    for kind, text, spaces in nodes:
        if kind == "chars":
            out.append(after_macro)
        out.append(text)
        after_macro = spaces if kind == "macro" else ""
    return "".join(out)


def latex_to_text(value: str) -> str:
    """LaTeX markup as the Unicode text it stands for (the input when it holds none).

    Only the LaTeX fragments of the string go through pylatexenc (a whole 1,500-character abstract
    costs the parser ~10 ms, its two math fragments ~0.1 ms each, and repeat across papers).
    """
    if _LATEX.search(value):
        for _ in range(4):  # braces nested deeper than the pattern: peel a level per pass
            before, value = value, _ISLAND.sub(lambda m: _island(m.group(0)), value)
            if value == before or not _LATEX.search(value):
                break
        for ligature, char in _LIGATURES:
            value = value.replace(ligature, char)
        return value
    if "``" in value:
        value = _TEX_QUOTES.sub("\u201c\\1\u201d", value)
    if value.count("$") >= 2:
        return _MATH.sub(r"\1", value)
    return value


def clean_text(value: object) -> str:
    """One line of plain text: controls stripped, LaTeX decoded, whitespace collapsed."""
    if not value:
        return ""
    text = latex_to_text(strip_controls(str(value)))
    return " ".join(text.split())


# A string holding none of these is plain text to clean_text: only its whitespace changes.
_NOT_PLAIN = re.compile(r"[\\{}$" + _CONTROLS.pattern[1:-1] + "]")


def clean_texts(values: list[str]) -> list[str]:
    """``[clean_text(v) for v in values]`` without the empty results (a paper's author names); names
    with no LaTeX or control character (nearly all) only have their whitespace collapsed."""
    try:
        joined = "".join(values)
    except TypeError:  # not all strings: each is cleaned on its own
        joined = "\\"
    if not _NOT_PLAIN.search(joined):
        return [text for text in (" ".join(value.split()) for value in values) if text]
    return [text for text in map(clean_text, values) if text]


def clean_label(value: object) -> str:
    """A tag, collection path or similar name: controls stripped, whitespace collapsed, no LaTeX."""
    if not value:
        return ""
    return " ".join(strip_controls(str(value)).split())


_URL = re.compile(r"https?://[^\s<>\"]+\Z", re.IGNORECASE)


def clean_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, else None (``javascript:``, ``file:``, ``data:`` ...)."""
    if not value:
        return None
    url = strip_controls(str(value)).strip()
    return url if _URL.match(url) else None
