"""Model cards: benchmark figures into the JSON card, and the human-readable Markdown card."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .model import card_path, read_card, shipped_model_path
from .taxonomy import NAMES, full_name

_SUMMARY_KEYS = (
    "train_papers", "test_papers", "test_days_from", "labels", "micro_f1", "macro_f1", "micro_precision",
    "micro_recall", "top1_primary", "top1_archive", "primary_covered", "no_topic_rate", "targets", "reference",
    "confusions", "fit_seconds", "narrow_test",
)


def write_benchmark(results: dict[str, Any], command: str, model_path: Path | None = None) -> Path:
    """Store date-split benchmark figures in the card of ``model_path`` (default: the shipped model)
    and re-render its Markdown card. The model file itself is not touched (its sha256 stays valid)."""
    path = model_path or shipped_model_path()
    card = read_card(path)
    card["benchmark"] = {
        "command": command,
        "measured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "protocol": "per corpus, the papers of the latest ~20% of announcement days test, earlier days train "
        "(a model trained with the shipped settings on the earlier days only); labels with >= 20 training papers",
        **{name: {k: res[k] for k in _SUMMARY_KEYS if k in res} for name, res in results.items()},
    }
    if "broad" in results:
        card["coverage"] = [
            {k: row[k] for k in ("label", "support", "precision", "recall", "f1")} for row in results["broad"]["per_label"]
        ]
    return _store(path, card)


def _store(path: Path, card: dict[str, Any]) -> Path:
    """Write the JSON card beside ``path`` and re-render its Markdown card; returns the Markdown path."""
    card_path(path).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path = path.with_suffix(".md")
    markdown_path.write_text(render_markdown(card), encoding="utf-8")
    return markdown_path


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render_markdown(card: dict[str, Any]) -> str:
    """The Markdown model card (models/topics.md) from the JSON card."""
    data = card.get("training_data", {})
    lines = [
        "# zotrec topic model (arXiv taxonomy)",
        "",
        f"File `{card.get('file')}` ({card.get('size_bytes', 0) / 1e6:.1f} MB), sha256 `{card.get('sha256')}`.",
        f"Trained {card.get('trained_at')} with "
        + ", ".join(f"{k} {v}" for k, v in card.get("library_versions", {}).items())
        + ". Loading checks the sha256 and the scikit-learn version before unpickling and refuses a mismatch.",
        "",
        "## What it does",
        "",
        "Multi-label classification of a paper (title + abstract) into arXiv categories. Features: tf-idf "
        "(sublinear tf) of words and word bigrams, hashed into 2^20 columns, the title counted twice. "
        "Classifier: one linear SVM per category (one-vs-rest, squared hinge); for each category the "
        "papers of its own archive are all kept as negatives and the others sampled; weights sparsified to "
        f"the {card.get('params', {}).get('keep_weights')} strongest per category and stored as float32. "
        "Probabilities: Platt scaling fitted on a held-out random fifth of the training papers (the weights "
        "are then refitted on all papers); each category has its own decision threshold (best F1 on that "
        "fifth, shrunk towards 0.3 when the category has few papers there). A second set of one-vs-rest SVMs "
        "learns which category is a paper's *main* (primary, first-listed) one; its probability times the "
        "square root of the category's topic probability ranks the main categories: it gives the top-1 and "
        "puts that category first. A paper gets the categories whose probability clears their threshold, "
        "plus its likeliest main category when that one's probability is at least 0.1 (every arXiv paper "
        "has a category); the likeliest main category first, then by probability; none = \"no confident "
        "topic\" (also for a text without any word the model knows).",
        "",
        "## Training data",
        "",
        f"{data.get('papers')} real arXiv papers (metadata CC0) from `../shared/data/corpora`, "
        f"announced {data.get('first_day')} .. {data.get('last_day')}: "
        + ", ".join(f"{k} {v}" for k, v in (data.get("corpora") or {}).items())
        + ".",
        f"Deduplication: {data.get('dedup')}. Labels: {data.get('labels')}.",
        f"Retrain: `zotrec train topics --corpus ../shared/data/corpora --out models/topics.joblib`.",
        "",
    ]
    bench = card.get("benchmark")
    if bench:
        lines += [
            "## Benchmark (date split: trained on earlier days, tested on later ones)",
            "",
            f"Command: `{bench['command']}` (measured {bench['measured_at']}). Protocol: {bench['protocol']}.",
            "",
            "| split | train / test papers | labels | micro-F1 | macro-F1 | top-1 primary | top-1 archive | no topic |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name in ("narrow", "broad"):
            res = bench.get(name)
            if not res:
                continue
            lines.append(
                f"| {name} | {res['train_papers']} / {res['test_papers']} | {res['labels']} | "
                f"{res['micro_f1']:.3f} | {res['macro_f1']:.3f} | {res['top1_primary']:.3f} | "
                f"{res['top1_archive']:.3f} | {_pct(res['no_topic_rate'])} |"
            )
        extra = (bench.get("broad") or {}).get("narrow_test")
        if extra:
            lines.append(
                f"| narrow test days, model of the broad split (all corpora, earlier days), narrow labels only | "
                f"- / {extra['test_papers']} | {extra['labels']} | {extra['micro_f1']:.3f} | {extra['macro_f1']:.3f} | "
                f"{extra['top1_primary']:.3f} | {extra['top1_archive']:.3f} | {_pct(extra['no_topic_rate'])} |"
            )
        lines += ["", "Targets (issue 9) and the tf-idf + LinearSVC reference measured on the same kind of split:", ""]
        for name in ("narrow", "broad"):
            res = bench.get(name)
            if res:
                got = ", ".join(
                    f"{k} {res[k]:.3f} (target {v}, reference {res['reference'].get(k)}: "
                    f"{'met' if res[k] >= v else 'MISSED'})"
                    for k, v in res["targets"].items()
                )
                lines.append(f"- {name}: {got}")
        res = bench.get("broad") or bench.get("narrow")
        if res and res.get("confusions"):
            lines += ["", "Costliest top-1 confusions (broad split; true primary -> predicted):", ""]
            lines += [f"- {c['true']} -> {c['predicted']}: {c['count']}" for c in res["confusions"][:12]]
        lines.append("")
    experiments = card.get("experiments")
    if experiments:
        lines += ["## Other approaches measured (same date split)", "", experiments.get("note", ""), "",
                  "| approach | split | micro-F1 | top-1 primary | cost / remark |", "|---|---|---|---|---|"]
        for row in experiments.get("rows", []):
            lines.append(
                f"| {row['approach']} | {row['split']} | {_num(row.get('micro_f1'))} | {_num(row.get('top1_primary'))} | "
                f"{row.get('remark', '')} |"
            )
        lines.append("")
    coverage = card.get("coverage")
    counts = card.get("label_counts", {})
    if coverage:
        lines += [
            "## Categories covered, and how well (broad test split)",
            "",
            "| category | name | training papers | test papers | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in sorted(coverage, key=lambda r: r["label"]):
            lines.append(
                f"| {row['label']} | {full_name(row['label'])} | {counts.get(row['label'], '')} | {row['support']} | "
                f"{row['precision']:.2f} | {row['recall']:.2f} | {row['f1']:.2f} |"
            )
        lines.append("")
    personal = card.get("personal_benchmark")
    if personal:
        lines += [
            "## Personal topics (models trained on your own library)",
            "",
            f"Command: `{personal['command']}` (measured {personal['measured_at']}). Protocol: {personal['protocol']}.",
            "",
            "| library | tagged papers | tags learned / left out | held-out papers | micro-F1 | macro-F1 | precision | recall |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, res in personal["libraries"].items():
            if res.get("micro_f1") is None:
                continue
            lines.append(
                f"| {name} | {res['tagged_papers']} | {res['tags_learned']} / {res['tags_left_out']} | "
                f"{res['test_papers']} | {res['micro_f1']:.3f} | {res['macro_f1']:.3f} | "
                f"{res['micro_precision']:.3f} | {res['micro_recall']:.3f} |"
            )
        lines.append("")
    labels = set(card.get("labels", []))
    missing = sorted(set(NAMES) - labels)
    left = card.get("left_out", {})
    lines += [
        "## Not covered",
        "",
        f"{len(labels)} of the {len(NAMES)} current arXiv categories are covered. Left out for having fewer "
        f"than {card.get('min_examples')} training papers: "
        + (", ".join(f"{k} ({v})" for k, v in left.items()) or "none")
        + ". Never seen in the corpora: "
        + (", ".join(m for m in missing if m not in left) or "none")
        + ".",
        "",
    ]
    return "\n".join(lines)


def write_personal_benchmark(results: dict[str, Any], command: str, model_path: Path | None = None) -> Path:
    """Store the personal-topics benchmark (tags of real libraries) in the shipped model's cards."""
    path = model_path or shipped_model_path()
    card = read_card(path)
    card["personal_benchmark"] = {
        "command": command,
        "measured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "protocol": "labels = the items' tags (tags with >= 5 papers; others reported and left out); a random "
        "fifth of the tagged papers is held out, the model is trained on the rest with the personal settings",
        "libraries": results,
    }
    return _store(path, card)
