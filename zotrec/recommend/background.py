"""The shipped background sample: real arXiv papers (metadata CC0) that stand for "papers in general".

The recommender uses them as negatives next to the day's digest, and as the reference for the
score scale. ``zotrec/data/background.jsonl.gz`` is built from ``../shared/data/corpora/arxiv-daily-broad``
by ``python -m zotrec.recommend.background CORPUS_DIR`` (deterministic: seeded, stratified by
arXiv archive, at most ``PER_ARCHIVE`` papers each); provenance in ``zotrec/data/background.md``.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import sys
from functools import lru_cache
from pathlib import Path

from zotrec.paper import Paper

BACKGROUND_PATH = Path(__file__).resolve().parents[1] / "data" / "background.jsonl.gz"
PER_ARCHIVE = 400
SEED = 20261127


@lru_cache(maxsize=1)
def _load_rows() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    rows = []
    with gzip.open(BACKGROUND_PATH, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            rows.append((d["id"], d["title"], d["abstract"], tuple(d.get("categories", []))))
    return tuple(rows)


def background_size() -> int:
    """How many papers the background sample holds."""
    return len(_load_rows())


def load_background() -> list[Paper]:
    """The background sample as Papers (source ``background``): copies of Papers built once per process
    (their LaTeX decoded once: a second of CPU)."""
    return [copy.copy(p) for p in _papers()]


def background_texts() -> list[tuple[str, str]]:
    """The title and abstract of each background paper as its Paper holds them (cleaned as
    :class:`~zotrec.paper.Paper` cleans them), without building the Papers; the sample has no authors."""
    from zotrec.text import clean_text

    return [(clean_text(title), clean_text(abstract)) for _, title, abstract, _ in _load_rows()]


@lru_cache(maxsize=1)
def _papers() -> tuple[Paper, ...]:
    return tuple(
        Paper(title=t, abstract=a, arxiv_id=i, categories=list(c), source="background") for i, t, a, c in _load_rows()
    )


def shipped_text(text: str) -> str:
    """``text`` as the sample stores it: cleaned as a Paper cleans it (LaTeX decoded, whitespace
    collapsed) when cleaning that again changes nothing, so building the Papers of every cold run
    decodes no LaTeX; else whitespace-collapsed only (the Paper is the same either way)."""
    from zotrec.text import clean_text

    cleaned = clean_text(text)
    return cleaned if clean_text(cleaned) == cleaned else " ".join(text.split())


def build_sample(corpus_dir: Path, out: Path = BACKGROUND_PATH, per_archive: int = PER_ARCHIVE) -> int:
    """Write a stratified sample of the broad arXiv corpus to ``out``; return the row count."""
    by_archive: dict[str, list[dict]] = {}
    for part in sorted(Path(corpus_dir).glob("*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                if not d.get("summary") or not d.get("title"):
                    continue
                archive = d["categories"][0].split(".")[0]
                by_archive.setdefault(archive, []).append(d)
    rng = random.Random(SEED)
    chosen = []
    for archive in sorted(by_archive):
        rows = sorted(by_archive[archive], key=lambda d: d["id"])
        chosen.extend(rng.sample(rows, min(per_archive, len(rows))))
    chosen.sort(key=lambda d: d["id"])
    with gzip.GzipFile(out, "wb", mtime=0) as raw:
        for d in chosen:
            row = {
                "id": d["id"],
                "categories": d["categories"],
                "title": shipped_text(d["title"]),
                "abstract": shipped_text(d["summary"]),
            }
            raw.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(chosen)


if __name__ == "__main__":  # pragma: no cover - maintenance command
    print(build_sample(Path(sys.argv[1])))
