"""Topics from the source first: a digest that lists a paper's arXiv categories gives its topics
(primary first, probability 1, source "arxiv"); the classifier labels only the others. Tags pushed
to Zotero use Zotero's own arXiv wording, as many as ``push.tags`` asks for."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.feedback import NEGATIVE_TAG, POSITIVE_TAG
from zotrec.paper import Paper
from zotrec.push import item_tags, note_html
from zotrec.ranked import Ranked, Topic
from zotrec.topics.taxonomy import listed, zotero_tag

runner = CliRunner()
RSS = "digests/arxiv-rss-atom/cs.AI_2025-08-20_trimmed.atom.xml"
HF = "digests/hf-daily-papers-api/2024-10-01.json"
LIBRARY = "libraries/nlp-ChenghaoMou/My Library.bib"


def test_zotero_wording_of_categories():
    assert zotero_tag("cs.LG") == "Computer Science - Machine Learning"
    assert zotero_tag("stat.ML") == "Statistics - Machine Learning"
    assert zotero_tag("astro-ph.GA") == "Astrophysics - Astrophysics of Galaxies"
    assert zotero_tag("hep-th") == "High Energy Physics - Theory"
    assert zotero_tag("quant-ph") == "Quantum Physics"
    assert zotero_tag("Robotics/Grasping") == "Robotics/Grasping"  # a personal label stays as it is
    # MSC and ACM classes that some feeds list are not arXiv categories; repeats go
    assert listed(["cs.CV", "cs.RO", "68T45 (Machine vision)", "I.2.10; I.4.8", "cs.CV"]) == ["cs.CV", "cs.RO"]


def test_tags_main_all_none_and_the_note_says_how_to_teach():
    topics = [
        Topic("cs.CV", "Computer Vision and Pattern Recognition", 1.0, "arxiv"),
        Topic("eess.IV", "Image and Video Processing", 1.0, "arxiv"),
    ]
    pick = Ranked(paper=Paper(title="Seeing things"), score=71.0, topics=topics)
    day = dt.date(2026, 12, 1)
    assert item_tags(pick, "main", day) == [
        "zotrec",
        "zotrec:2026-12-01",
        "Computer Science - Computer Vision and Pattern Recognition",
    ]
    assert item_tags(pick, "all", day)[2:] == [
        "Computer Science - Computer Vision and Pattern Recognition",
        "Electrical Engineering and Systems Science - Image and Video Processing",
    ]
    assert item_tags(pick, "none", day) == ["zotrec", "zotrec:2026-12-01"]
    note = note_html(pick)
    assert "Teach zotrec" in note and POSITIVE_TAG in note and NEGATIVE_TAG in note and "trash" in note


def test_listed_categories_are_the_topics_and_the_classifier_labels_the_rest(shared_data, warm_file_library):
    out = runner.invoke(
        app,
        [
            "recommend",
            "--library",
            str(warm_file_library(shared_data / LIBRARY)),
            "--digest",
            str(shared_data / RSS),
            "--digest",
            str(shared_data / HF),
            "--all",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    ranked = json.loads(out.stdout)
    rss = [r for r in ranked if r["source"].endswith(".atom.xml")]
    hf = [r for r in ranked if r["source"].endswith(".json")]
    assert len(rss) == 7 and hf
    by_title = {r["title"]: r for r in rss}
    # the listing's order: cs.CV first for this one, whatever a classifier would say
    easy = by_title["Mitigating Easy Option Bias in Multiple-Choice Question Answering"]
    assert [(t["label"], t["probability"], t["source"]) for t in easy["topics"]] == [
        ("cs.CV", 1.0, "arxiv"),
        ("cs.AI", 1.0, "arxiv"),
        ("cs.MM", 1.0, "arxiv"),
    ]
    assert all(t["source"] == "arxiv" for r in rss for t in r["topics"])
    # the Hugging Face API lists no categories: those papers get the classifier's labels
    assert all(
        t["source"] == "model" and t["probability"] < 1.0 or t["probability"] == 1.0 for r in hf for t in r["topics"]
    )
    assert any(r["topics"] and r["topics"][0]["source"] == "model" for r in hf)
