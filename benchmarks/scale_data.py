"""Scale data for the speed benchmarks: a 50,000-item library and a 2,000-paper digest from real papers.

How the data are made (deterministic for a given ``SEED``):

1. **Real pool.** Every paper with a title and an abstract in ``../shared/data/corpora``
   (arxiv-daily-broad, -cs, -astro, -qbio, the Kaggle snapshot sample and the Keras subset:
   about 54,000 unique papers), de-duplicated by arXiv id and normalised title, in a fixed order.
2. **Digest.** 2,000 real papers drawn at random from the pool (seeded) and held out of the
   library; written as arXiv JSON lines (``id``, ``title``, ``summary``, ``authors``,
   ``categories``), the format of the daily-arXiv corpora, so ``zotrec sync --digest FILE`` reads it.
3. **Library.** The rest of the pool, unchanged, plus *perturbed resamples* until the library has
   ``LIBRARY_SIZE`` items (50,000; ``$ZOTREC_BENCH_LIBRARY_SIZE`` overrides). With seed 20261127 the
   pool holds 55,623 unique real papers, so the 50,000-item library is 50,000 real papers and no
   resample is needed (real, diverse papers are also the worst case for the vocabulary size);
   resamples fill the gap for larger sizes. A resample takes a random real paper (the base) and a donor paper of the same
   arXiv archive (``cs``, ``astro-ph``, ...) and
   - title: drops one word at random (half of the time) and inserts one word of the donor's title;
   - abstract: keeps the first sentence, shuffles the others, drops each of them with p = 0.25,
     appends one random sentence of the donor's abstract, then drops 5 % of the words;
   - gets a new identity (no arXiv id; an URL under ``example.org``), the base's authors and date.
   So a resample is a near-duplicate of a real paper in the vocabulary of its field, as libraries
   hold versions, preprints and published papers of the same work.
   The real papers and the resamples are shuffled together; the library of size N is the first N
   items of that list (nested: the 1k library is part of the 5k one, and so on).
4. Items are Zotero item JSON ``data`` dicts (``preprint`` with ``archiveID`` for arXiv papers,
   ``journalArticle`` otherwise) with 8-character keys, creators, ``dateAdded`` spread over ten
   years, and about half of them filed in one of a few collections named after arXiv archives.

Nothing is written to git: the files go to ``$ZOTREC_BENCH_CACHE`` (default
``$TMPDIR/zotrec-bench``), in a directory named after the data version and seed.

    python -m benchmarks.scale_data          # build (or reuse) and print the paths and counts
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
DATA_VERSION = 1
SEED = 20261127
LIBRARY_SIZE = int(os.environ.get("ZOTREC_BENCH_LIBRARY_SIZE", 50_000))
DIGEST_SIZE = 2_000
KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NORM = re.compile(r"[^a-z0-9]+")


def cache_root() -> Path:
    base = os.environ.get("ZOTREC_BENCH_CACHE") or os.path.join(tempfile.gettempdir(), "zotrec-bench")
    return Path(base)


def data_dir(seed: int = SEED) -> Path:
    return cache_root() / f"scale-v{DATA_VERSION}-seed{seed}"


def library_path(seed: int = SEED) -> Path:
    return data_dir(seed) / f"library-{LIBRARY_SIZE}.jsonl.gz"


def digest_path(seed: int = SEED) -> Path:
    return data_dir(seed) / f"digest-{DIGEST_SIZE}.jsonl"


# -- reading the real corpora ------------------------------------------------------------------
def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def _record(rid: str, title: Any, abstract: Any, authors: Any, categories: Any) -> dict[str, Any] | None:
    title, abstract = _one_line(title), _one_line(abstract)
    if not title or len(abstract) < 40:
        return None
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r",\s*(?:and\s+)?|\s+and\s+", authors) if a.strip()]
    if isinstance(categories, str):
        categories = categories.split()
    return {
        "id": rid or None,
        "title": title,
        "abstract": abstract,
        "authors": [_one_line(a) for a in (authors or []) if isinstance(a, str) and a.strip()][:20],
        "categories": [
            c for c in (categories or []) if isinstance(c, str) and re.match(r"^[a-z-]+(\.[A-Za-z-]+)?$", c)
        ],
    }


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def real_papers(corpora: Path = CORPORA) -> list[dict[str, Any]]:
    """Every usable real paper in the corpora, de-duplicated, in a fixed order."""
    if not corpora.is_dir():
        raise SystemExit(f"{corpora}: the shared corpora are not there; cannot build scale data")
    out: list[dict[str, Any]] = []
    for folder in ("arxiv-daily-broad", "arxiv-daily-cs", "arxiv-daily-astro", "arxiv-daily-qbio"):
        for path in sorted((corpora / folder).glob("*.jsonl*")):
            for d in _jsonl(path):
                rec = _record(
                    str(d.get("id") or ""), d.get("title"), d.get("summary"), d.get("authors"), d.get("categories")
                )
                if rec:
                    out.append(rec)
    csv.field_size_limit(1 << 24)
    kaggle = corpora / "kaggle-arxiv-snapshot-sample" / "arxiv_data.csv"
    if kaggle.is_file():
        with kaggle.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                rid = row.get("id") or ""
                if re.match(r"^\d{3}\.\d{4}$", rid):  # the CSV lost the leading zero of 0704.0001
                    rid = "0" + rid
                rec = _record(rid, row.get("title"), row.get("abstract"), row.get("authors"), row.get("categories"))
                if rec:
                    out.append(rec)
    keras = corpora / "keras-arxiv-abstracts-subset" / "arxiv_data.csv"
    if keras.is_file():
        with keras.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                cats = re.findall(r"'([^']+)'", row.get("terms") or "")
                rec = _record("", row.get("titles"), row.get("summaries"), [], cats)
                if rec:
                    out.append(rec)
    seen: set[str] = set()
    unique = []
    for rec in out:
        keys = {"t:" + _NORM.sub(" ", rec["title"].lower()).strip()}
        if rec["id"]:
            keys.add("i:" + rec["id"])
        if keys & seen:
            continue
        seen |= keys
        unique.append(rec)
    return unique


# -- perturbation ----------------------------------------------------------------------------------
def _archive(rec: dict[str, Any]) -> str:
    cats = rec.get("categories") or []
    return cats[0].split(".")[0] if cats else "misc"


def perturb(base: dict[str, Any], donor: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A near-duplicate of ``base`` in its field's vocabulary (see the module docstring)."""
    words = base["title"].split()
    if len(words) > 3 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    donor_words = [w for w in donor["title"].split() if len(w) > 3] or donor["title"].split()
    words.insert(rng.randrange(len(words) + 1), rng.choice(donor_words))
    sentences = _SENTENCE.split(base["abstract"])
    first, rest = sentences[:1], sentences[1:]
    rng.shuffle(rest)
    rest = [s for s in rest if rng.random() >= 0.25]
    donor_sentences = _SENTENCE.split(donor["abstract"])
    abstract_words = " ".join(first + rest + [rng.choice(donor_sentences)]).split()
    abstract_words = [w for w in abstract_words if rng.random() >= 0.05] or abstract_words
    return {
        "id": None,
        "title": " ".join(words),
        "abstract": " ".join(abstract_words),
        "authors": list(base["authors"]),
        "categories": list(base["categories"]),
        "perturbed": True,
    }


# -- Zotero items ------------------------------------------------------------------------------------
def _key(rng: random.Random, used: set[str]) -> str:
    while True:
        key = "".join(rng.choice(KEY_CHARS) for _ in range(8))
        if key not in used:
            used.add(key)
            return key


def _date_of(rec: dict[str, Any]) -> str:
    m = re.match(r"^(\d\d)(\d\d)\.\d{4,5}$", rec.get("id") or "")
    if m:
        return f"20{m[1]}-{m[2]}"
    return ""


def _creator(name: str) -> dict[str, str]:
    if " " in name:
        first, last = name.rsplit(" ", 1)
        return {"creatorType": "author", "firstName": first, "lastName": last}
    return {"creatorType": "author", "name": name}


def to_item(rec: dict[str, Any], n: int, key: str, collections: dict[str, str], rng: random.Random) -> dict[str, Any]:
    added = datetime(2016, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10 * 365 * 86400))
    stamp = added.strftime("%Y-%m-%dT%H:%M:%SZ")
    item: dict[str, Any] = {
        "key": key,
        "itemType": "preprint" if rec.get("id") else "journalArticle",
        "title": rec["title"],
        "abstractNote": rec["abstract"],
        "creators": [_creator(a) for a in rec["authors"]],
        "date": _date_of(rec),
        "tags": [{"tag": c} for c in rec["categories"][:2]],
        "collections": [],
        "relations": {},
        "dateAdded": stamp,
        "dateModified": stamp,
    }
    if rec.get("id"):
        item["archiveID"] = f"arXiv:{rec['id']}"
        item["repository"] = "arXiv"
        item["url"] = f"https://arxiv.org/abs/{rec['id']}"
    else:
        item["publicationTitle"] = "Journal of Benchmark Studies"
        item["url"] = f"https://example.org/paper/{n}"
    archive = _archive(rec)
    if archive in collections and rng.random() < 0.5:
        item["collections"] = [collections[archive]]
    return item


# -- build and load --------------------------------------------------------------------------------
def build(seed: int = SEED, force: bool = False) -> dict[str, Any]:
    """Write the library and digest files (once per seed and data version); return their meta data."""
    out = data_dir(seed)
    meta_path = out / "meta.json"
    if meta_path.is_file() and not force and library_path(seed).is_file() and digest_path(seed).is_file():
        return json.loads(meta_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = real_papers()
    order = list(range(len(pool)))
    rng.shuffle(order)
    digest = [pool[i] for i in order[:DIGEST_SIZE]]
    library_real = [pool[i] for i in order[DIGEST_SIZE:]][:LIBRARY_SIZE]
    by_archive: dict[str, list[dict[str, Any]]] = {}
    for rec in library_real:
        by_archive.setdefault(_archive(rec), []).append(rec)
    copies = []
    while len(library_real) + len(copies) < LIBRARY_SIZE:
        base = library_real[rng.randrange(len(library_real))]
        same = by_archive[_archive(base)]
        copies.append(perturb(base, same[rng.randrange(len(same))], rng))
    library = library_real + copies
    rng.shuffle(library)

    used: set[str] = set()
    archives = sorted(by_archive, key=lambda a: -len(by_archive[a]))[:12]
    collections = {a: _key(rng, used) for a in archives}
    tmp = library_path(seed).with_suffix(".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as fh:
        fh.write(json.dumps({"collections": [{"key": k, "name": a} for a, k in collections.items()]}) + "\n")
        for n, rec in enumerate(library):
            fh.write(json.dumps(to_item(rec, n, _key(rng, used), collections, rng), ensure_ascii=False) + "\n")
    tmp.replace(library_path(seed))
    tmp = digest_path(seed).with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in digest:
            row = {
                "id": rec["id"] or "",
                "title": rec["title"],
                "summary": rec["abstract"],
                "authors": rec["authors"],
                "categories": rec["categories"],
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(digest_path(seed))
    meta = {
        "seed": seed,
        "data_version": DATA_VERSION,
        "real_pool": len(pool),
        "digest": len(digest),
        "library": len(library),
        "library_real": len(library_real),
        "library_resampled": len(copies),
        "collections": len(collections),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def load_library(n: int, seed: int = SEED) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first ``n`` library items (Zotero ``data`` dicts) and the collections."""
    build(seed)
    items: list[dict[str, Any]] = []
    with gzip.open(library_path(seed), "rt", encoding="utf-8") as fh:
        collections = json.loads(fh.readline())["collections"]
        for line in fh:
            if len(items) >= n:
                break
            items.append(json.loads(line))
    return items, collections


def snapshot(n: int, version: int = 1, seed: int = SEED):
    """A :class:`zotrec.library.base.LibrarySnapshot` of the first ``n`` items."""
    from zotrec.library.base import Collection, LibrarySnapshot

    items, colls = load_library(n, seed)
    for item in items:
        item["version"] = version
    return LibrarySnapshot(version, items, {c["key"]: Collection(c["key"], c["name"]) for c in colls})


def digest_papers(seed: int = SEED):
    """The digest read by zotrec's own reader (as ``zotrec sync --digest FILE`` reads it)."""
    from zotrec.sources import read_source

    build(seed)
    return read_source(str(digest_path(seed)))


if __name__ == "__main__":
    meta = build()
    print(json.dumps(meta, indent=2))
    print(library_path())
    print(digest_path())
