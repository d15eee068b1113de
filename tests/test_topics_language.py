"""Papers in another language than English get no topic from the English arXiv model, and do not
move the topics of the English papers of the same digest."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.paper import Paper
from zotrec.sources import read_source
from zotrec.topics import load_topic_model
from zotrec.topics.language import foreign

FOREIGN = [
    (
        "Über die Stabilität nichtlinearer Regelkreise mit Totzeit",
        "Wir untersuchen die Stabilität nichtlinearer Regelkreise mit Totzeit und leiten hinreichende Bedingungen "
        "mit Hilfe von Ljapunow-Funktionalen her. Die Ergebnisse werden an einem Beispiel veranschaulicht.",
    ),
    (
        "Eine Untersuchung der Galaxienentwicklung im frühen Universum",
        "Mit Beobachtungen des Weltraumteleskops untersuchen wir die Entstehung und Entwicklung von Galaxien "
        "in den ersten Milliarden Jahren nach dem Urknall.",
    ),
    (
        "Apprentissage profond pour la traduction automatique",
        "Cet article présente une méthode d'apprentissage profond pour la traduction automatique entre le "
        "français et l'anglais, fondée sur des réseaux de neurones récurrents.",
    ),
    (
        "Étude de la formation des étoiles dans les nuages moléculaires",
        "Nous présentons des observations de nuages moléculaires et analysons les conditions de formation des "
        "étoiles dans la Voie lactée.",
    ),
    (
        "非线性动力系统的稳定性分析",
        "本文研究了非线性动力系统的稳定性问题，利用李雅普诺夫函数给出了系统渐近稳定的充分条件，并通过数值仿真验证了所提方法的有效性。",
    ),
    ("早期宇宙中星系演化的观测研究", ""),  # a title alone, too short for the detector to be sure
]


def _digest(path: Path, rows: list[tuple[str, str]], **extra: str) -> Path:
    path.write_text(
        "".join(json.dumps({"title": t, "abstract": a, **extra}, ensure_ascii=False) + "\n" for t, a in rows),
        encoding="utf-8",
    )
    return path


def test_a_digest_of_papers_in_other_languages_gets_no_topic(tmp_path):
    digest = _digest(tmp_path / "fremd.jsonl", FOREIGN)
    out = CliRunner().invoke(app, ["classify", str(digest), "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == len(FOREIGN)
    assert [r["topics"] for r in rows] == [[] for _ in FOREIGN]
    # a journal's feed of them (DOI and journal given) too
    journal = read_source(str(_digest(tmp_path / "revue.jsonl", FOREIGN, doi="10.1000/x", journal="Revue")))
    assert load_topic_model().predict(journal) == [[] for _ in journal]


def test_english_papers_keep_their_topics_beside_foreign_ones():
    """The foreign papers are left out of the digest's context: the English papers of the batch get
    exactly the topics they get without them."""
    english = read_source(str(demo_digest_path()))[:12]
    others = [Paper(title=t, abstract=a) for t, a in FOREIGN]
    model = load_topic_model()
    alone = model.predict(english)
    mixed = model.predict(others[:3] + english + others[3:])
    assert mixed[3 : 3 + len(english)] == alone
    assert all(alone) and mixed[:3] == [[], [], []] and mixed[3 + len(english) :] == [[] for _ in others[3:]]


def test_which_texts_are_foreign():
    english = read_source(str(demo_digest_path()))
    assert not foreign(english).any()
    assert foreign([Paper(title=t, abstract=a) for t, a in FOREIGN]).all()
    # short English titles CLD2 is unsure of, or reads as another language, stay English
    assert not foreign(["Quantum Matter Makes Lightcones Quantum", "Koopman operators", ""]).any()
