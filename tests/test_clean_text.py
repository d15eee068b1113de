"""Text from outside is cleaned once, where a Paper is built: LaTeX to Unicode, no control characters."""

from __future__ import annotations

import json

from zotrec.library.items import item_to_paper, paper_to_item
from zotrec.paper import Paper
from zotrec.sources import parse_bytes
from zotrec.text import clean_text, clean_url, strip_controls


def test_arxiv_mail_authors_and_titles_decode():
    mail = (
        b"From: no-reply@arxiv.org\nSubject: math daily Title/Abstract Distribution Mailing\n\n"
        b"------------------------------------------------------------------------------\n"
        b"\\\\\narXiv:2509.01234\nDate: Mon, 1 Sep 2025 10:00:00 GMT   (20kb)\n\n"
        b"Title: Hopf algebras at $z=2.06$ and Ad\\`ele rings\n"
        b"Authors: Fr\\'ed\\'eric Patras, Ludwik D\\k{a}browski, Pawe{\\l} Zalecki\n"
        b"Categories: math.QA\n\\\\\n  We study 5% of $\\mathcal{O}(n)$ things.\n\\\\ ( https://arxiv.org/abs/2509.01234 ,  20kb)\n"
        b"------------------------------------------------------------------------------\n"
    )
    (paper,) = parse_bytes(mail, "mail.txt", format="arxiv-mail")
    assert paper.authors == ["Frédéric Patras", "Ludwik Dąbrowski", "Paweł Zalecki"]
    assert paper.title == "Hopf algebras at z=2.06 and Adèle rings"
    assert paper.abstract == "We study 5% of 𝒪(n) things."  # a bare % is a percent sign, not a comment


def test_every_source_goes_through_the_same_step():
    """JSON lines, the Hugging Face API and a library item: the same decoding, no per-source code."""
    line = json.dumps(
        {
            "id": "2509.00001",
            "title": "Ad\\`ele {\\em at} $z=2.06$",
            "summary": "x",
            "authors": ["Pawe{\\l} Zalecki"],
            "categories": ["math.QA"],
        }
    )
    (jsonl,) = parse_bytes(line.encode() + b"\n", "d.jsonl")
    hf = [
        {
            "paper": {
                "id": "2509.00002",
                "title": "Ad\\`ele {\\em at} $z=2.06$",
                "summary": "y",
                "authors": [{"name": "Pawe{\\l} Zalecki"}],
            }
        }
    ]
    (api,) = parse_bytes(json.dumps(hf).encode(), "daily.json")
    item = item_to_paper(
        {
            "key": "ABCD2345",
            "title": "Ad\\`ele {\\em at} $z=2.06$",
            "creators": [{"firstName": "Pawe{\\l}", "lastName": "Zalecki"}],
        }
    )
    for paper in (jsonl, api, item):
        assert paper.title == "Adèle at z=2.06", paper.source
        assert paper.authors == ["Paweł Zalecki"], paper.source


def test_control_characters_escapes_and_surrogates_are_removed():
    hostile = (
        "Title\x00 with \x1b[2J\x1b[31mred\x1b[0m \x1b]8;;https://evil\x07link\x1b]8;;\x07 \ud800half\u202eevil\x7f"
    )
    paper = Paper(title=hostile, abstract="a\x00b", authors=["X\x1b[1mY"], tags=["t\x00ag"])
    assert paper.title == "Title with red link halfevil"
    assert paper.abstract == "ab" and paper.authors == ["XY"] and paper.tags == ["tag"]
    item = paper_to_item(paper)
    json.dumps(item).encode("utf-8")  # no unpaired surrogate left: encodes as UTF-8
    assert "\x1b" not in json.dumps(item) and "\\u0000" not in json.dumps(item)
    assert strip_controls("a\nb\tc") == "a\nb\tc"  # line breaks and tabs are text


def test_only_http_urls_are_kept():
    assert clean_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "https://ex ample.org",
        "ftp://x",
        " \x00javascript:x",
    ):
        assert clean_url(bad) is None, bad
    paper = Paper(title="A paper about things", url="javascript:alert(document.cookie)")
    assert paper.url is None and paper_to_item(paper)["url"] == ""


def test_plain_text_is_left_alone():
    text = "Costs $5 per run & 10% less; C++ {sets} are fine? No: braces are LaTeX groups."
    assert clean_text("A plain title: no markup -- at all") == "A plain title: no markup -- at all"
    assert clean_text("Costs $5 per run & 10% less") == "Costs $5 per run & 10% less"
    assert clean_text(text).startswith("Costs $5 per run & 10% less; C++ sets are fine?")
    assert clean_text(r"Schr\"odinger {{{nested}}} \textbf{bold} 50\% \$") == "Schrödinger nested bold 50% $"


def test_names_cleaned_together_are_cleaned_one_by_one():
    """clean_texts (a paper's author names) is clean_text of each, empty results left out."""
    from zotrec.text import clean_texts

    for names in (
        ["Ada  Lovelace", " ", "Grace\tHopper "],
        ["Jos\\'e Ruiz", "Ada Lovelace", ""],
        ["Bell\x07 Labs", "$A$ and $B$", "{The} Team"],
        ["One $dollar", "plain"],
        [],
    ):
        assert clean_texts(names) == [t for t in map(clean_text, names) if t]
    assert clean_texts(["Ada", None, 3]) == ["Ada", "3"]  # type: ignore[list-item]


def _parsed(latex: str) -> str:
    """What pylatexenc itself makes of a LaTeX fragment (as text.py runs it)."""
    from zotrec import text

    walker_class, context, converter = text._parser()
    walker = walker_class(text._LITERAL.sub(r"\\\1", latex), latex_context=context, tolerant_parsing=True)
    return str(converter.nodelist_to_text(walker.get_latex_nodes()[0]))


MATH_CASES = [
    r"$\alpha x$",
    r"$\alpha{}x$",
    r"$\alpha \beta$",
    r"$x \sim 2$",
    r"$\sim0.2~c$",
    r"$S^2\timesΣ$",
    r"${a} {b}$",
    r"$ {a} $",
    r"$\rm  sh$",
    r"$R_{\rm sh}$",
    r"$\alpha~x$",
    r"$\unknownthing x$",
    r"${\alpha} x$",
    r"$\alpha {x}$",
    r"$ \alpha $",
    r"$10^{12}$",
    r"$z_{1}^2$",
    r"$\hbarω_m$",
    r"$a  b$",
    r"$x\gtrsim 40 {\rm km}\,s$",
    r"$\mathrm{GeV}$",
    r"$\alpha \mathrm {d} x$",
    r"$\alpha \texttt{x}y$",
    r"$b\, λ$",
    r"$\{ T_v \,|\, v \}$",
    r"$\%$",
    r"$a}{b$",
    r"$\{x\}$",
    r"$\alpha*$",
    r"$\frac{a}{b}$",
    r"$\frac n5$",
    r"$\frac{a} {b}$",
    r"$\frac{a}b$",
    r"$\sqrt{x+1}$",
    r"$\sqrt[3]{x}$",
    r"$\bar{x}\bar y$",
    r"$\hat{ı}$",
    r"$\vec{ab}$",
    r"$\bar \alpha$",
    r"$\mathbb{R}^n$",
    r"$\mathbb N_0$",
    r"$\mathcal{O}(n)$",
    r"$90\%$",
    r"$\overline{AB}$",
    r"$\cite{key}$",
    r"$\begin{x}$",
    r"$x \in [0, 1]$",
    r"$a^*_{[i]}$",
    r"$\cite*{a}$",
    r"$\sqrt[3]{x}$",
]
# LaTeX outside math, as the islands of running text come
TEXT_CASES = [
    r"\emph{foo}",
    r"{\it foo bar}",
    r"\to P",
    r"{x \sim p,\, y}",
    r"\textbf{94.0\%}",
    r"\cite{key}",
    r"\v{c}",
    r"\c C",
    r"{a {b} c}",
    r"\end{align}",
    r"\begin{equation} u",
    r"\end",
    r"\frac{a} {b}",
    r"\mathbb{Z}_{3} \times Γ",
]


def test_plain_inline_math_is_what_the_parser_makes(shared_data):
    """Inline math and LaTeX islands of running text read without the parser (their plain cases) are
    the parser's text: crafted cases and every plain fragment of real arXiv abstracts; the other
    fragments go to the parser."""
    import gzip

    from zotrec import text

    fragments = set(MATH_CASES)
    corpora = shared_data / "corpora"
    files = [
        *sorted((corpora / "arxiv-daily-broad").glob("*.jsonl.gz"))[:2],
        *sorted(corpora.glob("arxiv-daily-*/*.jsonl"))[:6],
    ]
    for path in files:
        with gzip.open(path, "rt") if path.suffix == ".gz" else open(path) as fh:
            for line in fh:
                entry = json.loads(line)
                for value in (entry.get("title"), entry.get("summary"), entry.get("abstract")):
                    if isinstance(value, str) and ("$" in value or text._LATEX.search(value)):
                        fragments.update(text._ISLAND.findall(value))
    plain = [
        f for f in fragments if len(f) > 2 and f[1] != "$" and f[-1] == "$" and text._plain_math(f[1:-1]) is not None
    ]
    assert len(plain) > 2500
    assert [(f, text._plain_math(f[1:-1])) for f in plain] == [(f, _parsed(f).strip()) for f in plain]
    parsed = [f for f in plain if text._LATEX.search(f)]  # the others never reach the parser
    assert [text._island(f) for f in parsed] == [_parsed(f) for f in parsed]
    islands = [f for f in fragments | set(TEXT_CASES) if f[0] != "$"]
    plain = [f for f in islands if text._plain_latex(f, math=False) is not None]
    assert len(plain) > 300 and len(plain) < len(islands)
    assert [(f, text._plain_latex(f, math=False)) for f in plain] == [(f, _parsed(f)) for f in plain]
    assert [text._island(f) for f in plain] == [_parsed(f) for f in plain]
    for case in (r"$a}{b$", r"$\mathrm$", "$a\nb$", r"$\&$", r"$\frac{a} {b}$", r"$\begin{x}$", r"$\sqrt[3]{x}$"):
        assert text._plain_math(case[1:-1]) is None and text._island(case) == _parsed(case)


def test_text_the_latex_parser_reads_leaves_its_callers_locals_to_be_freed():
    """The parser keeps an exception in a reference cycle; the caller's frame (and so its locals, such
    as a run's previous library features) must not hang on it until the next garbage collection."""
    import gc
    import itertools
    import weakref

    from zotrec import text

    class Held:
        pass

    fragment = rf"\sqrt[{next(_FRESH)}]{{x}}"  # an optional argument: read by the parser, not the fast path
    calls = itertools.count()
    parsed = text._parsed

    def counting(latex):
        next(calls)
        return parsed(latex)

    def caller() -> weakref.ref:
        held = Held()
        assert clean_text(f"Roots {fragment} of unity") != f"Roots {fragment} of unity"
        return weakref.ref(held)

    enabled = gc.isenabled()
    gc.disable()
    try:
        text._parsed = counting
        freed = caller()
    finally:
        text._parsed = parsed
        if enabled:
            gc.enable()
    assert next(calls) == 1  # the parser was used
    assert freed() is None


_FRESH = iter(range(1000, 10**6))  # a fragment not yet in the decoder's cache


def test_tex_quotes_become_curly_quotes_without_other_latex():
    """``quoted'' is TeX even in a string without a backslash or brace: it reads as with them."""
    assert clean_text("a ``quoted'' word") == "a \u201cquoted\u201d word" == clean_text("a ``quoted'' w{o}rd")
    assert clean_text("``don't'' and ``go''") == "\u201cdon't\u201d and \u201cgo\u201d"
    assert clean_text("the ``non-strict\n  consensus''") == "the \u201cnon-strict consensus\u201d"  # across lines
    assert clean_text("a 5'' screen, ``unclosed") == "a 5'' screen, ``unclosed"  # no pair: left alone
    (paper,) = parse_bytes(b'{"id": "2501.00001", "title": "On ``Attention\'\'", "summary": "s"}\n', "d.jsonl")
    assert paper.title == "On \u201cAttention\u201d"
