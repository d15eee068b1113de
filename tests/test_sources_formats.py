"""Reference files and the other formats: BibTeX, RIS, CSL-JSON, Zotero RDF, JSON lines, feeds, HTML."""

from __future__ import annotations

import datetime as dt
import gzip
import html
import json
from collections import Counter

import pytest

from zotrec.sources import detect_format, parse_bytes, read_source
from zotrec.text import clean_text as latex_to_text

D = dt.date


# ---------------------------------------------------------------- BibTeX


def test_bibtex_real_library(shared_data):
    path = shared_data / "libraries/hep-ml-ChristianMichelsen/My_Library.bib"
    papers = parse_bytes(path.read_bytes(), str(path))
    # grep -c '^@' = 287, minus one @preamble
    assert len(papers) == 286
    first = papers[0]
    assert first.title == "Data Science vs. Statistics: Two Cultures?"
    assert first.authors == ["Iain Carmichael", "J. S. Marron"]
    assert first.doi == "10.1007/s42081-018-0009-3"
    assert first.arxiv_id == "1801.00371"
    assert first.tags == ["80/20", "machine learning", "ml", "data science"]
    assert first.journal == "Japanese Journal of Statistics and Data Science"
    assert first.date == D(2018, 5, 14) and first.item_type == "journalArticle"
    assert first.extras["citation_key"] == "carmichaelDataScienceVs2018"
    types = Counter(p.item_type for p in papers)
    # grep '^@' | sort | uniq -c: article 177, online 75, book 12, inproceedings 8, ...
    assert types["journalArticle"] == 177 and types["webpage"] == 75 and types["book"] == 12
    # 188 entries carry `keywords = `
    assert sum(1 for p in papers if p.tags) == 188


def test_bibtex_synthetic_fields_and_latex():
    bib = rb"""
@misc{vaswani2017,
  title = {Attention Is {{All}} You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and others},
  year = {2017},
  month = jun,
  eprint = {1706.03762v5},
  archiveprefix = {arXiv},
  primaryclass = {cs.CL},
  keywords = {transformers; attention},
  abstract = {The dominant sequence transduction models \ldots{} are based on RNNs.},
}
@inproceedings{muller2020,
  title = {Sch{\"o}dinger {\'E}quations --- a {$\mathcal{O}(n)$} Study},
  author = {M{\"u}ller, J{\"o}rg and {van der Berg}, Anna},
  booktitle = {Proc. Conf.},
  year = 2020,
  doi = {https://doi.org/10.1000/XYZ.123},
}
@article{notitle, author = {X, Y}, year = {2001}}
"""
    papers = parse_bytes(bib, "refs.bib")
    assert len(papers) == 2  # the entry without a title is not a paper
    att, sch = papers
    assert att.title == "Attention Is All You Need"
    assert att.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert (att.arxiv_id, att.arxiv_version) == ("1706.03762", "v5")
    assert att.categories == ["cs.CL"] and att.item_type == "preprint"
    assert att.date == D(2017, 6, 1) and att.tags == ["transformers", "attention"]
    assert "…" in att.abstract
    assert sch.title == "Schödinger Équations — a \U0001d4aa(n) Study"  # inline math read as text
    assert sch.authors == ["Jörg Müller", "Anna van der Berg"]
    assert sch.doi == "10.1000/xyz.123" and sch.item_type == "conferencePaper"
    assert sch.journal == "Proc. Conf."


def test_latex_to_text():
    assert latex_to_text(r"Na{\"\i}ve Bayes \& {\c C}a\~na \textendash{} 50\%") == "Naïve Bayes & Ça\u00f1a – 50%"


# ---------------------------------------------------------------- RIS


RIS = b"""TY  - JOUR
TI  - Deep learning for chaotic dynamics
AU  - Doe, Jane
AU  - Roe, Richard
PY  - 2021/03/04/
AB  - We learn chaotic systems.
DO  - 10.1234/ABC.5
T2  - Chaos
KW  - dynamics
KW  - neural networks
UR  - https://arxiv.org/abs/2103.00001v2
ER  - 

TY  - CONF
T1  - A conference paper
AU  - Smith, A.
PY  - 2019
ER  - 
"""


def test_ris():
    assert detect_format(RIS.decode(), "x.ris") == "ris"
    papers = parse_bytes(RIS, "refs.ris")
    assert len(papers) == 2
    first = papers[0]
    assert first.title == "Deep learning for chaotic dynamics"
    assert first.authors == ["Jane Doe", "Richard Roe"]
    assert first.date == D(2021, 3, 4) and first.doi == "10.1234/abc.5"
    assert first.journal == "Chaos" and first.tags == ["dynamics", "neural networks"]
    assert first.arxiv_id == "2103.00001" and first.item_type == "journalArticle"
    assert papers[1].item_type == "conferencePaper" and papers[1].date == D(2019, 1, 1)


# ---------------------------------------------------------------- CSL-JSON


def test_csl_json_real_library(shared_data):
    path = shared_data / "libraries/biomedoptics-ajaygunalan/My Library.json"
    papers = parse_bytes(path.read_bytes(), str(path))
    assert len(papers) == 638  # MANIFEST and json.load: 638 items, all titled
    assert papers[0].extras["format"] == "csl-json"
    abouei = papers[2]
    assert abouei.title.startswith("Correction of motion artifacts in endoscopic optical coherence")
    assert abouei.authors[:2] == ["Elham Abouei", "Anthony M. D. Lee"]
    assert abouei.journal == "Journal of Biomedical Optics"
    assert abouei.doi == "10.1117/1.jbo.23.1.016004"
    assert abouei.date == D(2018, 1, 4) and abouei.item_type == "journalArticle"
    assert papers[0].item_type == "webpage" and papers[1].item_type == "book"
    assert sum(1 for p in papers if p.doi) == 454  # MANIFEST: 454 DOI


def test_csl_json_types_and_keywords():
    items = [
        {
            "id": "a",
            "type": "article",
            "title": "A preprint",
            "URL": "https://arxiv.org/abs/2401.00001v3",
            "author": [{"family": "Doe", "given": "Jane"}, {"literal": "The Consortium"}],
            "issued": {"date-parts": [[2024, 1]]},
            "keyword": "ml, physics",
        },
        {"id": "b", "type": "chapter", "title": "A chapter", "issued": {"date-parts": [["2020"]]}},
    ]
    papers = parse_bytes(json.dumps(items).encode(), "lib.json")
    assert [p.item_type for p in papers] == ["preprint", "bookSection"]
    assert papers[0].authors == ["Jane Doe", "The Consortium"]
    assert papers[0].arxiv_id == "2401.00001" and papers[0].arxiv_version == "v3"
    assert papers[0].tags == ["ml", "physics"] and papers[0].date == D(2024, 1, 1)
    assert papers[1].date == D(2020, 1, 1)


# ---------------------------------------------------------------- Zotero RDF


def test_zotero_rdf_real_library(shared_data):
    path = shared_data / "libraries/systemsbio-scalefreegan/My Library.rdf"
    papers = parse_bytes(path.read_bytes(), str(path))
    # grep -o '<z:itemType>[^<]*' | sort | uniq -c: 479 non-attachment items, 2 of them without a
    # <dc:title> (only a journal title): 477 papers
    assert len(papers) == 477
    assert Counter(p.item_type for p in papers) == {
        "journalArticle": 453,
        "book": 14,
        "bookSection": 7,
        "webpage": 2,
        "conferencePaper": 1,
    }
    reiss = next(p for p in papers if p.title.startswith("Integrated biclustering"))
    assert reiss.authors == ["David Reiss", "Nitin Baliga", "Richard Bonneau"]
    assert reiss.doi == "10.1186/1471-2105-7-280"  # from the following bib:Journal node
    assert reiss.journal == "BMC Bioinformatics"
    assert reiss.tags[:3] == ["Algorithms", "Automated", "Base Sequence"]
    assert reiss.abstract.startswith("BACKGROUND:The learning of global genetic regulatory networks")
    assert reiss.date == D(2006, 1, 1)
    assert sum(1 for p in papers if p.abstract) == 350  # MANIFEST: 350 with dcterms:abstract


ZOTERO_RDF = b"""<rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:z="http://www.zotero.org/namespaces/export#"
 xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:bib="http://purl.org/net/biblio#"
 xmlns:foaf="http://xmlns.com/foaf/0.1/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:prism="http://prismstandard.org/namespaces/1.2/basic/">
    <bib:Article rdf:about="http://arxiv.org/abs/2301.00001v2">
        <z:itemType>preprint</z:itemType>
        <dc:title>Koopman operators for everyone</dc:title>
        <bib:authors><rdf:Seq><rdf:li><foaf:Person>
            <foaf:surname>Doe</foaf:surname><foaf:givenName>Jane</foaf:givenName>
        </foaf:Person></rdf:li></rdf:Seq></bib:authors>
        <dc:subject>koopman</dc:subject>
        <dc:subject><z:AutomaticTag><rdf:value>operators</rdf:value></z:AutomaticTag></dc:subject>
        <dcterms:dateSubmitted>2023-01-05 10:00:00</dcterms:dateSubmitted>
        <dc:date>2023-01-02</dc:date>
    </bib:Article>
    <bib:Article rdf:about="#item_7">
        <z:itemType>journalArticle</z:itemType>
        <dcterms:isPartOf><bib:Journal><dc:title>Chaos</dc:title>
            <dc:identifier>DOI 10.1063/5.0000001</dc:identifier></bib:Journal></dcterms:isPartOf>
        <dc:title>Second paper</dc:title>
        <bib:editors><rdf:Seq><rdf:li><foaf:Person>
            <foaf:surname>Roe</foaf:surname><foaf:givenName>Rick</foaf:givenName>
        </foaf:Person></rdf:li></rdf:Seq></bib:editors>
        <bib:authors><rdf:Seq><rdf:li><foaf:Person>
            <foaf:surname>Poe</foaf:surname><foaf:givenName>Ann</foaf:givenName>
        </foaf:Person></rdf:li></rdf:Seq></bib:authors>
    </bib:Article>
    <z:Attachment rdf:about="#item_8"><z:itemType>attachment</z:itemType><dc:title>PDF</dc:title></z:Attachment>
    <z:Collection rdf:about="#collection_1">
        <dc:title>Dynamics</dc:title>
        <dcterms:hasPart rdf:resource="#collection_2"/>
        <dcterms:hasPart rdf:resource="#item_7"/>
    </z:Collection>
    <z:Collection rdf:about="#collection_2">
        <dc:title>Koopman</dc:title>
        <dcterms:hasPart rdf:resource="http://arxiv.org/abs/2301.00001v2"/>
        <dcterms:hasPart rdf:resource="#item_7"/>
    </z:Collection>
</rdf:RDF>
"""


def test_zotero_rdf_collections_tags_types():
    papers = parse_bytes(ZOTERO_RDF, "My Library.rdf")
    assert [p.title for p in papers] == ["Koopman operators for everyone", "Second paper"]
    koop, second = papers
    assert koop.extras["format"] == "zotero-rdf" and koop.item_type == "preprint"
    assert koop.collections == ["Dynamics/Koopman"]
    assert koop.tags == ["koopman", "operators"]
    assert (koop.arxiv_id, koop.arxiv_version) == ("2301.00001", "v2")
    assert koop.date_added == "2023-01-05 10:00:00" and koop.authors == ["Jane Doe"]
    assert sorted(second.collections) == ["Dynamics", "Dynamics/Koopman"]
    assert second.doi == "10.1063/5.0000001" and second.journal == "Chaos"
    assert second.authors == ["Ann Poe", "Rick Roe"]  # authors first, then editors (as Better BibTeX JSON gives)


def test_zotero_rdf_and_better_bibtex_json_of_one_library_give_the_same_creators(shared_data):
    folder = shared_data / "libraries/semanticbim-accord"
    rdf = {p.title: p.authors for p in read_source(str(folder / "zotero.rdf"))}
    bbt = {p.title: p.authors for p in read_source(str(folder / "better-bibtex-json.json"))}
    common = set(rdf) & set(bbt)
    assert len(common) > 450
    differ = [t for t in common if sorted(rdf[t]) != sorted(bbt[t])]
    assert len(differ) <= 5, differ[:5]  # a handful of presenters and programmers, which the JSON reader leaves out


# ---------------------------------------------------------------- arXiv JSON lines


def test_arxiv_jsonl_corpus_file(shared_data):
    path = shared_data / "corpora/arxiv-daily-qbio/2025-06-04.jsonl"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    papers = read_source(str(path))
    assert len(papers) == len({json.loads(ln)["id"] for ln in lines})
    first = json.loads(lines[0])
    assert papers[0].title == first["title"] and papers[0].arxiv_id == "2506.02013"
    assert papers[0].authors[0] == "Sun Ye" and papers[0].categories == ["q-bio.NC"]
    assert papers[0].extras["format"] == "arxiv-jsonl"


def test_arxiv_jsonl_gz_and_msc_categories_dropped(tmp_path):
    rec = {
        "id": "2508.21080",
        "categories": ["cs.CV", "cs.RO", "68T45 (Machine vision)", "I.2.10; I.4.8"],
        "authors": ["A B"],
        "title": "T one",
        "summary": "S",
        "comment": None,
    }
    kaggle = {
        "id": "0704.0001",
        "title": "Calculation of prompt diphoton production",
        "abstract": " A ",
        "authors": "C. Bal\\'azs, E. L. Berger",
        "categories": "hep-ph",
        "doi": "10.1103/PhysRevD.76.013009",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, {"version": "v2"}],
        "update_date": "2008-11-13",
    }
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in (rec, kaggle)) + "\n").encode()))
    papers = read_source(str(path))
    assert papers[0].categories == ["cs.CV", "cs.RO"]
    assert papers[1].arxiv_id == "0704.0001" and papers[1].arxiv_version == "v2"
    assert papers[1].doi == "10.1103/physrevd.76.013009" and papers[1].categories == ["hep-ph"]
    assert papers[1].date == D(2007, 4, 2)  # first version, not the last update
    assert papers[1].authors == ["C. Balázs", "E. L. Berger"]


# ---------------------------------------------------------------- generic feeds

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel><title>PNAS: Latest</title><link>https://www.pnas.org</link>
<item><title>Scaling laws of &lt;i&gt;neural&lt;/i&gt; dynamics</title>
  <link>https://www.pnas.org/doi/10.1073/pnas.2400000121?af=R</link>
  <description>&lt;p&gt;We show&amp;nbsp;that...&lt;/p&gt;</description>
  <dc:creator>Ann Lee</dc:creator><dc:creator>Bo Chen</dc:creator>
  <pubDate>Tue, 02 Jul 2024 07:00:00 GMT</pubDate>
  <category>Research Article</category>
  <prism:doi>10.1073/pnas.2400000121</prism:doi></item>
<item><title>Correction for Lee et al., Scaling laws</title>
  <link>https://www.pnas.org/doi/10.1073/pnas.2400000999</link>
  <pubDate>Wed, 03 Jul 2024 07:00:00 GMT</pubDate></item>
<item><title>In the news: a new telescope</title><link>https://example.org/n/1</link>
  <category>News</category><pubDate>Wed, 03 Jul 2024 07:00:00 GMT</pubDate></item>
</channel></rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Journal of Things</title><id>urn:j</id>
<updated>2024-01-01T00:00:00Z</updated>
<entry><title>An atom entry</title><id>https://doi.org/10.5555/ATOM.1</id>
<link href="https://journal.example/atom1"/><updated>2024-01-02T10:00:00Z</updated>
<author><name>Zed Z</name></author><summary>Atom abstract.</summary></entry>
<entry><title>Editorial: the year ahead</title><id>urn:2</id><updated>2024-01-03T00:00:00Z</updated></entry>
</feed>
"""


def test_generic_rss2():
    assert detect_format(RSS2.decode(), "feed.xml") == "feed"
    papers = parse_bytes(RSS2, "https://www.pnas.org/rss")
    assert len(papers) == 3
    art, corr, news = papers
    assert art.title == "Scaling laws of neural dynamics"
    assert art.abstract == "We show\u00a0that..." or art.abstract == "We show that..."
    assert art.authors == ["Ann Lee", "Bo Chen"] and art.doi == "10.1073/pnas.2400000121"
    assert art.date == D(2024, 7, 2) and art.journal == "PNAS: Latest"
    assert "non_research" not in art.extras
    assert corr.extras == {"non_research": True, "item_kind": "correction", "format": "feed"}
    assert corr.doi == "10.1073/pnas.2400000999"  # DOI from the link
    assert news.extras["non_research"] is True and news.extras["item_kind"] == "news"
    assert all(p.source == "https://www.pnas.org/rss" for p in papers)


def test_generic_atom():
    papers = parse_bytes(ATOM, "feed.atom")
    assert papers[0].doi == "10.5555/atom.1" and papers[0].authors == ["Zed Z"]
    assert papers[0].abstract == "Atom abstract." and papers[0].date == D(2024, 1, 2)
    assert papers[1].extras["item_kind"] == "editorial"


# ---------------------------------------------------------------- HF HTML


def test_hf_html_page_with_hydration_json(shared_data):
    items = json.loads((shared_data / "digests/hf-daily-papers-api/2024-10-01.json").read_text())
    props = html.escape(json.dumps({"dailyPapers": items, "dateString": "2024-10-01"}), quote=True)
    page = (
        "<!doctype html><html><head><title>Daily Papers - Hugging Face</title></head><body><main>"
        f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}">'
        "<article><h3>MM1.5</h3></article></div></main></body></html>"
    )
    assert detect_format(page, "papers.html") == "hf-html"
    papers = parse_bytes(page.encode(), "https://huggingface.co/papers/date/2024-10-01")
    assert len(papers) == 11
    assert papers[0].arxiv_id == "2409.20566" and papers[0].extras["upvotes"] == 23
    assert papers[0].authors[0] == "Haotian Zhang"


def test_hf_html_cards_and_text_fallback():
    cards = (
        "<html><body><h1>Daily Papers</h1>"
        '<article><a href="/papers/2409.20566"><h3>MM1.5: Methods</h3></a>'
        '<p>We present MM1.5</p><div class="upvote"><div>23</div></div></article>'
        '<article><h3><a href="https://huggingface.co/papers/2410.00001">Other</a></h3></article>'
        "</body></html>"
    )
    papers = parse_bytes(cards.encode(), "cards.html")
    assert [(p.title, p.arxiv_id) for p in papers] == [("MM1.5: Methods", "2409.20566"), ("Other", "2410.00001")]
    assert papers[0].extras["upvotes"] == 23 and papers[0].abstract == "We present MM1.5"
    text_page = (
        "<html><body><div>Daily Papers</div><div>A Title</div><p>An abstract here.</p>"
        "<div>\u2022 3 authors</div><div>\u00b7</div><div>Jan 5, 2024</div></body></html>"
    )
    papers = parse_bytes(text_page.encode(), "saved.html")
    assert papers[0].title == "A Title" and papers[0].extras["n_authors"] == 3


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "text,name,expected",
    [
        ('[{"paper": {"id": "1"}, "title": "x"}]', "a.json", "hf-api"),
        ('[{"type": "article-journal", "title": "x", "author": []}]', "a.json", "csl-json"),
        ('{"id": "1", "title": "t", "summary": "s"}\n{"id": "2", "title": "u", "summary": "s"}\n', "a", "arxiv-jsonl"),
        ("@article{k, title={x}}", "a.txt", "bibtex"),
        ("TY  - JOUR\nTI  - x\nER  - \n", "a", "ris"),
        ('<rss version="2.0"><channel></channel></rss>', "a", "feed"),
    ],
)
def test_detect_format(text, name, expected):
    assert detect_format(text, name) == expected


def test_explicit_format_override(shared_data):
    path = shared_data / "digests/arxiv-api-atom/query_cs.RO-neural_2025-10-17.atom.xml"
    papers = read_source(str(path), format="feed")
    assert len(papers) == 2 and papers[0].extras["format"] == "feed"


def test_feed_in_declared_latin1_and_utf16_with_bom():
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Revue</title>'
        "<item><title>Équations de Schrödinger</title><link>https://ex.org/1</link></item></channel></rss>"
    )
    papers = parse_bytes(latin.encode("latin-1"), "latin.xml")
    assert papers[0].title == "Équations de Schrödinger"
    utf16 = latin.replace("ISO-8859-1", "UTF-16").encode("utf-16")  # with BOM
    assert parse_bytes(utf16, "u16.xml")[0].title == "Équations de Schrödinger"


ARXIV_RSS2 = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>math.DS updates on arXiv.org</title><link>http://rss.arxiv.org/rss/math.DS</link>
<item><title>A new one</title><link>https://arxiv.org/abs/2508.00001</link>
<description>arXiv:2508.00001v1 Announce Type: new
Abstract: First abstract.</description><guid isPermaLink="false">oai:arXiv.org:2508.00001v1</guid>
<category>math.DS</category><category>nlin.CD</category><pubDate>Wed, 20 Aug 2025 00:00:00 -0400</pubDate>
<arxiv:announce_type>new</arxiv:announce_type><dc:creator>Ann Lee, Bo Chen and Cy Dee</dc:creator></item>
<item><title>A revised one</title><link>https://arxiv.org/abs/2401.00002</link>
<description>arXiv:2401.00002v3 Announce Type: replace
Abstract: Second abstract.</description><guid isPermaLink="false">oai:arXiv.org:2401.00002v3</guid>
<category>math.DS</category><pubDate>Wed, 20 Aug 2025 00:00:00 -0400</pubDate>
<arxiv:announce_type>replace</arxiv:announce_type><arxiv:DOI>10.1000/j.1</arxiv:DOI>
<dc:creator>Dan Eve</dc:creator></item>
</channel></rss>
"""


def test_arxiv_rss2_flavour_and_skip_replacements():
    papers = parse_bytes(ARXIV_RSS2, "https://rss.arxiv.org/rss/math.DS")
    assert [p.extras["format"] for p in papers] == ["arxiv-feed"] * 2
    new, repl = papers
    assert (new.arxiv_id, new.arxiv_version) == ("2508.00001", "v1")
    assert new.authors == ["Ann Lee", "Bo Chen", "Cy Dee"] and new.abstract == "First abstract."
    assert new.categories == ["math.DS", "nlin.CD"] and new.date == D(2025, 8, 20)
    assert repl.extras["section"] == "replacement" and repl.arxiv_version == "v3"
    assert repl.doi == "10.1000/j.1"
    kept = parse_bytes(ARXIV_RSS2, "x", skip_replacements=True)
    assert [p.arxiv_id for p in kept] == ["2508.00001"]


def test_hf_api_wrapped_in_an_object(shared_data):
    items = json.loads((shared_data / "digests/hf-daily-papers-api/2025-06-12.json").read_text())
    data = json.dumps({"dailyPapers": items, "dateString": "2025-06-12"}).encode()
    papers = parse_bytes(data, "props.json")
    assert len(papers) == 10 and papers[0].extras["format"] == "hf-api"


def test_arxiv_metadata_csv(shared_data):
    kaggle = shared_data / "corpora/kaggle-arxiv-snapshot-sample/arxiv_data.csv"
    papers = read_source(str(kaggle), dedupe_within=False)
    assert len(papers) == 2000  # MANIFEST: 2,000 rows / 2,000 unique ids
    first = papers[0]
    assert first.arxiv_id == "0704.0001"  # the CSV wrote 704.0001
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first.authors[:2] == ["C. Balázs", "E. L. Berger"]
    assert first.doi == "10.1103/physrevd.76.013009" and first.categories == ["hep-ph"]
    assert first.date == D(2007, 4, 2) and first.extras["format"] == "arxiv-csv"
    keras = shared_data / "corpora/keras-arxiv-abstracts-subset/arxiv_data.csv"
    rows = read_source(str(keras), dedupe_within=False)
    assert len(rows) == 1000  # MANIFEST: 1,000 rows, no ids
    assert rows[0].title == "Neural ODEs for Image Segmentation with Level Sets"
    assert rows[1].categories == ["cs.CV", "cs.LG", "stat.ML"] and rows[1].arxiv_id is None
