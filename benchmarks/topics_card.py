"""Model cards: benchmark figures into the JSON card, and the human-readable Markdown card."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zotrec.topics.model import card_path, read_card, shipped_model_path
from zotrec.topics.taxonomy import NAMES, full_name


def write_benchmark(results: dict[str, Any], command: str, model_path: Path | None = None) -> Path:
    """Store the shipped model's date-split figures in the card of ``model_path`` (default: the
    shipped model) and re-render its Markdown card. The model file itself is not touched (its
    sha256 stays valid)."""
    path = model_path or shipped_model_path()
    card = read_card(path)

    card["benchmark"] = {
        "command": command,
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "protocol": "per corpus, the papers of the latest ~20% of announcement days test; the shipped model "
        "was trained on the earlier days only. Test papers are fed without their categories, one digest "
        "per corpus and day (per scraper repository and day for the broad corpus), decoded with digest "
        "context and without; main topic = the first listed. The context settings were chosen on "
        "validation days before the test days (see the next section), not on the test days",
        **{k: (_without_per_label(v) if isinstance(v, dict) and "context" in v else v) for k, v in results.items()},
    }
    if "broad" in results:
        card["coverage"] = [
            {k: row[k] for k in ("label", "support", "precision", "recall", "f1")}
            for row in results["broad"]["context"]["per_label"]
        ]
    return _store(path, card)


def _without_per_label(res: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            {kk: vv for kk, vv in v.items() if kk != "per_label"}
            if k in ("context", "alone", "context_text_only")
            else v
        )
        for k, v in res.items()
    }


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
    held = data.get("held_out") or {}
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
        "square root of the category's topic probability ranks the main categories. A paper gets the "
        "categories whose probability clears their threshold, plus its likeliest main category when that "
        "one's probability is at least 0.1 (every arXiv paper has a category; a journal article, with a DOI "
        "or journal and no arXiv id, does not get this one); the likeliest main category first, then by "
        'probability; none = "no confident topic" (also for a text without any word the model knows).',
        "",
        "Digest context (`zotrec/topics/context.py`): the papers of one run are one digest. Digest types "
        "(`topics.mixes.json`, `python -m benchmarks.topics mixes`): the main-topic mix of each source's "
        "daily digests on the training days (40 sources with 20 papers or more: the cs, astro-ph and q-bio "
        "listings and the broad corpus's scraper repositories, each following a few categories; test days "
        "not counted; each mix with 5 pseudo-papers of the training mix). A batch's starting mix is 90% "
        "these types and the training mix weighted by the likelihood each gives the batch's main-topic "
        "probabilities, 10% the training mix (a paper unlike its digest's type keeps a chance of its own "
        "category; a digest of journal articles only, no arXiv listing, is decoded without types). From "
        "there, the main-topic mix is re-estimated by EM (Saerens, Latinne & Decaestecker "
        "2002) on the normalised main-topic probabilities (MAP: 300 pseudo-papers of that starting mix; "
        "categories that were a main topic for fewer than 0.25% of the training papers keep their starting "
        "share, as their probabilities rest on too few papers and plain EM lets them soak up a batch). A "
        "model without digest types starts from the training mix, 10 pseudo-papers of it, and each "
        "category must earn half a paper's worth of share, so shares no paper supports fall to zero. The "
        "main-topic probabilities are moved to that mix. Each category's share among the batch's topics "
        "is what that main-topic mix implies through the training co-occurrence of categories (the share "
        "of papers with main topic k that also carry j: a cs.CV listing implies few cs.LG cross-lists), "
        "and each topic probability's odds are scaled by (batch share / training share). A category is "
        "kept above the largest of its threshold, the batch's F1 plug-in threshold and 0.7 (the main "
        "topic is still forced in); the main topic is the one with the best adjusted main-topic "
        "probability times adjusted topic probability. Papers whose arXiv categories the digest gives "
        "count in the estimates with them. A one-paper digest is decoded alone, by the rule above. The "
        "model stores its training label mix and co-occurrence table (`prior`) for this. Calibrating the "
        "main-topic probabilities before EM (bias-corrected temperature scaling fitted on the held-out fifth, "
        "Alexandari et al. 2020) lowered their log-loss there (1.38 to 1.29) but not the errors: it was "
        "measured on validation days and not adopted (see the decodings below).",
        "",
        *_expert_lines(card),
        *_metadata_lines(card),
        "## Training data",
        "",
        f"{data.get('papers')} real arXiv papers (metadata CC0) from `../shared/data/corpora`, "
        f"announced {data.get('first_day')} .. {data.get('last_day')}: "
        + ", ".join(f"{k} {v}" for k, v in (data.get("corpora") or {}).items())
        + ".",
        f"Deduplication: {data.get('dedup')}. Labels: {data.get('labels')}.",
    ]
    if held:
        lines.append(
            f"Held out: the {held.get('papers')} papers of each corpus's latest ~20% of announcement days (from "
            + ", ".join(f"{k} {v}" for k, v in (held.get("test_days_from") or {}).items())
            + "): the benchmark below measures this very file on days it never saw."
        )
    lines += [f"Train it again: `{card.get('training_command')}`.", ""]
    perf = card.get("performance")
    if perf:
        lines += [
            "## Speed",
            "",
            f"`{perf['command']}` ({perf['measured_at']}): predict (in context) {perf['papers']} papers at "
            f"{perf['papers_per_cpu_second']:,} papers per CPU-second ({perf['papers_per_second']:,}/s wall); "
            f"load (sha256 + unpickle) {perf['load_seconds']} s. {perf['note']}",
            "",
        ]
    bench = card.get("benchmark")
    if bench and "context" in (bench.get("broad") or {}):
        lines += _benchmark_lines(bench)
    if card.get("validation"):
        lines += _validation_lines(card["validation"])
    for section in card.get("experiments") or []:
        lines += [
            f"## {section['title']}",
            "",
            section.get("note", ""),
            "",
            "| approach | split | micro-F1 | main topic = primary | remark |",
            "|---|---|---|---|---|",
        ]
        for row in section.get("rows", []):
            lines.append(
                f"| {row['approach']} | {row['split']} | {_num(row.get('micro_f1'))} | {_num(row.get('top1_primary'))} | "
                f"{row.get('remark', '')} |"
            )
        lines.append("")
    coverage = card.get("coverage")
    counts = card.get("label_counts", {})
    if coverage:
        lines += [
            "## Categories covered, and how well (broad test split, with digest context)",
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


def _expert_lines(card: dict[str, Any]) -> list[str]:
    """What the listing experts in the file are, and when they decode (none: no lines)."""
    experts = card.get("experts") or {}
    if not experts:
        return []
    which = "; ".join(
        f"{name}: {about['papers']} training papers, {len(about['labels'])} categories"
        for name, about in experts.items()
    )
    return [
        "Listing experts (`zotrec/topics/experts.py`, in the model file): for each narrow arXiv listing, a "
        "second head of the same kind (topic and main-topic one-vs-rest SVMs on the same features, so the "
        "text is vectorized once; out-of-fold Platt scaling and thresholds; its own label mix and "
        "co-occurrence), trained on that listing's training days only, over the categories it held at "
        f"least 10 times ({which}). When a digest's likeliest digest type (the type posterior above) is "
        "a listing with an expert, with a weight of 0.5 or more, that digest is decoded over the expert's "
        "categories alone: the broad model's probabilities are moved from its training mix to the listing's "
        "(topic odds, main-topic prior shift), averaged with the expert's on the logit scale (weight 0.5 each), "
        "and decoded in context as above, pulled to the listing's mix (100 pseudo-papers, no discount) with a "
        "floor of 0.5. Any other digest, a one-paper digest and a feed of journal articles only are decoded "
        "by the broad model as above. Weight, pull and floor were chosen on validation days "
        "(`python -m benchmarks.topics validate`, experts trained on the fit days). Added to a trained file "
        "with `python -m benchmarks.topics experts` (training days only).",
        "",
    ]


def _metadata_lines(card: dict[str, Any]) -> list[str]:
    """What the metadata table in the file is and how it moves a paper (none: no lines)."""
    about = card.get("metadata")
    if not about:
        return []
    w = about["weights"]
    return [
        "Paper metadata (`zotrec/topics/metadata.py`, in the model file): the authors of the "
        f"{about['papers']:,} training papers (first and last name part, accents and case folded, hashed: "
        f"{about['keys']:,} keys), each with its training papers per category, as a topic and as the main "
        "topic. A paper's evidence for a category is the mean over its known authors of the smoothed "
        f"log-lift log((count + {w['author_alpha']:g} x share) / ((papers + {w['author_alpha']:g}) x share)) "
        "(share = the category's training share); it is added to the log-odds of the text's calibrated "
        f"columns, times {w['author_topic']:g} for the topic and {w['author_main']:g} for the main-topic "
        "columns, before any decoding (in context, by an expert, or alone); the digest type and whether a "
        "listing expert decodes the batch are read from the text's columns alone. A paper without a known author "
        "(plain text, BibTeX without authors, a Hugging Face page copied as text) and a journal article "
        "(DOI or journal, no arXiv id) keep the text's columns exactly. Venue words of the comment and "
        "journal reference (CVPR, MNRAS, ...) were measured too and gave no gain on validation days; their "
        "weight is 0 and they are not stored. On the five real arXiv digests of `../shared/data/digests` (132 "
        "papers, categories removed) the primary is listed first for 88 papers with the author table, 79 without. "
        "Added to a trained file with "
        "`python -m benchmarks.topics metadata` (training days only).",
        "",
    ]


def _row(name: str, res: dict[str, Any]) -> str:
    return (
        f"| {name} | {res['micro_f1']:.3f} | {res['macro_f1']:.3f} | {res['top1_primary']:.3f} | "
        f"{_num(res.get('top1_archive'))} | {_pct(res['no_topic_rate'])} |"
    )


def _benchmark_lines(bench: dict[str, Any]) -> list[str]:
    """The date-split section: the shipped model with and without context, targets, sources."""
    lines = [
        "## Benchmark: the shipped model on later days (date split, one-day digests, no categories)",
        "",
        f"Command: `{bench['command']}` (measured {bench['measured_at']}). Protocol: {bench['protocol']}.",
        "",
        "| split, decoding | micro-F1 | macro-F1 | main topic = primary | main topic in primary's archive | no topic |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("narrow", "broad"):
        res = bench.get(name)
        if not res:
            continue
        where = f"{res['test_papers']} papers, {res['digests']} digests, median {res['median_papers']} papers"
        lines.append(_row(f"{name} ({where}), with digest context", res["context"]))
        lines.append(_row(f"{name}, each paper alone", res["alone"]))
        if res.get("context_text_only"):
            lines.append(_row(f"{name}, with digest context, papers without their metadata", res["context_text_only"]))
    ref = bench.get("narrow_reference")
    if ref:
        lines.append(
            _row(
                f"narrow, a model trained on the narrow training days for this evaluation only "
                f"({ref['labels']} labels), with digest context",
                ref["context"],
            )
        )
        lines.append(_row("narrow, that evaluation-only model, each paper alone", ref["alone"]))
    lines += ["", "Targets for the shipped model with digest context:", ""]
    for name in ("narrow", "broad"):
        res = bench.get(name)
        if res:
            lines.append(
                f"- {name}: "
                + ", ".join(
                    f"{k} {res['context'][k]:.3f} (target {v}: {'met' if res['context'][k] >= v else 'MISSED'})"
                    for k, v in res["targets"].items()
                )
            )
    confusions = (bench.get("broad") or {}).get("context", {}).get("confusions")
    if confusions:
        lines += ["", "Costliest main-topic confusions (broad, with context; true primary -> listed first):", ""]
        lines += [f"- {c['true']} -> {c['predicted']}: {c['count']}" for c in confusions[:12]]
    sources = bench.get("no_topic_by_source")
    if sources:
        lines += [
            "",
            "No confident topic, per source kind: the real digests of `../shared/data/digests`, "
            "categories removed (what the classifier labels), each file one digest.",
            "",
            "| source kind | files | papers | no topic, with context | no topic, each paper alone |",
            "|---|---|---|---|---|",
        ]
        for kind, row in sources.items():
            lines.append(
                f"| {kind} | {row['files']} | {row['papers']} | {_pct(row['no_topic_context'])} | "
                f"{_pct(row['no_topic_alone'])} |"
            )
    lines.append("")
    return lines


def write_validation(
    results: dict[str, Any], command: str, model_path: Path | None = None, note: str | None = None
) -> Path:
    """Store the choice of the context settings on validation days in the shipped model's cards
    (``note``: why the shipped settings differ from the best row, when they do)."""
    path = model_path or shipped_model_path()
    card = read_card(path)
    ranked = sorted(results["tried"], key=lambda r: -r["objective"])
    card["validation"] = {
        "command": command,
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        **{k: results[k] for k in ("validation_days_from", "fit_papers", "validation_papers", "best", "shipped")},
        "tried": len(results["tried"]),
        "runners_up": ranked[1:6],
    }
    if note:
        card["validation"]["note"] = note
    return _store(path, card)


def _validation_lines(val: dict[str, Any]) -> list[str]:
    """How the context settings were chosen: on validation days, with a model that never saw them."""
    lines = [
        "## Context settings, chosen on validation days",
        "",
        f"Command: `{val['command']}` (measured {val['measured_at']}). The training side of the date split "
        "is split again by date: each corpus's latest ~20% of training days are validation days (from "
        + ", ".join(f"{k} {v}" for k, v in val["validation_days_from"].items())
        + f"); a model trained on the {val['fit_papers']} papers of the days before them (for this choice "
        f"only, never shipped) decodes the {val['validation_papers']} validation papers, one-day digests "
        f"without categories, under each of {val['tried']} settings (first the main-topic estimate, then the "
        "topic shift and floor given the best one, then the listing experts' weight, pull and floor around the "
        "shipped settings; the experts trained on the fit days). Chosen: the best mean of the five target figures. The "
        "test days of the benchmark above play no part in the choice.",
        "",
        "| settings (validation days) | narrow micro-F1 | narrow main topic | broad micro-F1 | broad main topic "
        "| broad archive | mean |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [("shipped", val["shipped"]), ("best", val["best"])] + [("runner-up", r) for r in val["runners_up"]]
    for name, res in rows:
        n, b = res["narrow"], res["broad"]
        what = ", ".join(f"{k} {v:g}" for k, v in res["settings"].items())
        lines.append(
            f"| {name}: {what} | {n['micro_f1']:.3f} | {n['top1_primary']:.3f} | {b['micro_f1']:.3f} | "
            f"{b['top1_primary']:.3f} | {b['top1_archive']:.3f} | {res['objective']:.4f} |"
        )
    lines.append("")
    if val.get("note"):
        lines += [val["note"], ""]
    return lines


def write_personal_benchmark(results: dict[str, Any], command: str, model_path: Path | None = None) -> Path:
    """Store the personal-topics benchmark (tags of real libraries) in the shipped model's cards."""
    path = model_path or shipped_model_path()
    card = read_card(path)
    card["personal_benchmark"] = {
        "command": command,
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "protocol": "labels = the items' tags (tags with >= 5 papers; others reported and left out); a random "
        "fifth of the tagged papers is held out, the model is trained on the rest with the personal settings",
        "libraries": results,
    }
    return _store(path, card)
