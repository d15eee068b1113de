"""Real libraries and same-field arXiv pools for the small-library and simulated-weeks benchmarks.

Each case is one real user's library (``../shared/data/libraries``, papers with a title and an
abstract, duplicates dropped) and a fixed, seeded sample of arXiv papers of the same field
(``../shared/data/corpora``) whose titles are not in the library. The two libraries the other
benchmarks never used (biomedical optics, semantic BIM) draw their pool from the broad corpus by
primary category, leaving out the papers of zotrec's shipped background sample (its training
negatives). Parsed cases are kept in a pickle under the system temp folder, keyed by the data
files' sizes and dates, so repeated runs skip the parsing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recommend import CORPORA, LIBRARIES, LIBS, read_library, read_pool
from zotrec.paper import Paper, dedupe, normalize_title

# name -> (library file, pool folders, primary-category prefixes of the pool or None = any)
CASES: dict[str, tuple[str, list[str], tuple[str, ...] | None]] = {
    name: (lib, folders, None) for name, (lib, folders) in LIBRARIES.items()
}
CASES["biomedoptics"] = (
    "biomedoptics-ajaygunalan/My Library.json",
    ["arxiv-daily-broad"],
    ("physics.optics", "physics.med-ph", "eess.IV"),
)
CASES["semanticbim"] = (
    "semanticbim-accord/zotero.rdf",
    ["arxiv-daily-broad", "arxiv-daily-cs"],
    ("cs.DB", "cs.SE", "cs.AI", "cs.CE", "cs.HC", "cs.IR", "cs.DL"),
)
HELD_OUT = ("biomedoptics", "semanticbim")  # never used while building zotrec's recommender
POOL_SIZE = 1000  # arXiv papers per library (seeded sample of the same-field corpus)
CACHE = Path(tempfile.gettempdir()) / "zotrec-bench-learning"


@dataclass
class Case:
    name: str
    library: list[Paper]  # papers with title and abstract, deduplicated
    pool: list[Paper]  # same-field arXiv papers, none in the library


def _read_broad(prefixes: tuple[str, ...]) -> list[Paper]:
    from zotrec.recommend.background import load_background

    skip = {p.arxiv_id for p in load_background()}
    papers = []
    for part in sorted((CORPORA / "arxiv-daily-broad").glob("*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                if d["id"] in skip or not d.get("summary") or not d["categories"]:
                    continue
                if d["categories"][0].startswith(prefixes):
                    papers.append(
                        Paper(
                            title=d["title"],
                            abstract=d["summary"],
                            arxiv_id=d["id"],
                            authors=d.get("authors") or [],
                            categories=d["categories"],
                        )
                    )
    return papers


def _read_folder_pool(folders: list[str], prefixes: tuple[str, ...] | None) -> list[Paper]:
    papers: list[Paper] = []
    for folder in folders:
        if folder == "arxiv-daily-broad":
            papers += _read_broad(prefixes or ("",))
        else:
            got = read_pool([folder])
            if prefixes:  # read_pool keeps no categories: filter on the raw rows
                keep = set()
                for f in (CORPORA / folder).glob("*.jsonl"):
                    for line in f.read_text(encoding="utf-8").splitlines():
                        if line.strip():
                            d = json.loads(line)
                            if d["categories"] and d["categories"][0].startswith(prefixes):
                                keep.add(d["id"])
                got = [p for p in got if p.arxiv_id in keep]
            papers += got
    return dedupe(papers)


def _fingerprint(names: list[str], pool_size: int | None) -> str:
    h = hashlib.sha256(f"{pool_size}".encode())
    for name in names:
        lib, folders, prefixes = CASES[name]
        for path in [LIBS / lib, *[CORPORA / f for f in folders]]:
            st = path.stat()
            h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}:{prefixes};".encode())
    return h.hexdigest()[:16]


def load(names: list[str], pool_size: int | None = POOL_SIZE) -> list[Case]:
    """The cases (pools cut to ``pool_size``, None: the whole field), parsed once, then cached."""
    if not LIBS.is_dir():
        raise SystemExit(f"shared data not found at {LIBS.parent}")
    cached = CACHE / f"cases-{_fingerprint(names, pool_size)}-{'-'.join(names)}.pickle"
    if cached.is_file():
        return pickle.loads(cached.read_bytes())
    cases = []
    for name in names:
        lib_file, folders, prefixes = CASES[name]
        library = dedupe([p for p in read_library(LIBS / lib_file) if p.title and len(p.abstract) >= 50])
        titles = {normalize_title(p.title) for p in library}
        pool = [p for p in _read_folder_pool(folders, prefixes) if normalize_title(p.title) not in titles]
        rng = np.random.default_rng(len(name) * 7919 + len(pool))
        size = len(pool) if pool_size is None else min(pool_size, len(pool))
        pick = np.sort(rng.choice(len(pool), size=size, replace=False))
        cases.append(Case(name, library, [pool[i] for i in pick]))
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(cases))
    return cases
