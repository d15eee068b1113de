"""The daily run as the user meets it, whole processes: `zotrec recommend` on a changed library.

Every measurement is one fresh process of the installed CLI (``zotrec recommend --library LIB
--digest DIGEST --json --all``, its own ``ZOTREC_HOME``), timed from outside with its peak RSS
(:func:`benchmarks.run_child`), next to the arxiv-sanity-lite anchor (its tf-idf + LinearSVC refit
on library + digest, ``benchmarks.speed``'s anchor worker, also a whole process) on the same data.

Libraries are the scale data (``benchmarks.scale_data``: real arXiv papers), stored as an embedded
library (``.sqlite``, versioned items as Zotero gives them) or as a CSL-JSON export file. Steps for
one library and digest, in one home:

- **cold**: empty cache (first run: features built from scratch);
- **unchanged**: the same library again (the daily run when nothing changed);
- **after 50 changes**: 20 items added, 20 edited (title and abstract), 10 deleted since the last
  run (the daily run when the user worked in Zotero): only those are vectorised.

Also, when ../shared/data is there, a real 2.7 MB BibTeX export (1,040 items) with a 108-paper arXiv
day: its first run parses the file, the second must not (the file's bytes did not change).

    python -m benchmarks.daily [--sizes 10000,50000] [--digests 2000] [--file-size 10000] [--no-bibtex] [--collections]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import Row, fmt_s, median, run_child

CHANGES = {"added": 20, "edited": 20, "deleted": 10}
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BIBTEX = SHARED / "libraries" / "astro-bbt-Straw674" / "zotero_library_2026_0605.bib"
BIBTEX_DIGEST = SHARED / "corpora" / "arxiv-daily-astro" / "2025-10-14.jsonl"


def zotrec_command() -> list[str]:
    from benchmarks.startup import zotrec_command as command

    return command()


def load() -> float:
    return os.getloadavg()[0]


# -- data ---------------------------------------------------------------------------------------
def digest_file(work: Path, size: int) -> Path:
    """A digest of ``size`` papers (arXiv JSON lines) that are not in any library of the curve: the
    scale digest (2,000 held-out papers), cut or padded with items 40,000+ of the scale library."""
    from benchmarks import scale_data

    scale_data.build()
    lines = scale_data.digest_path().read_text(encoding="utf-8").splitlines()
    if size > len(lines):
        items, _ = scale_data.load_library(50_000)
        for item in items[40_000 : 40_000 + size - len(lines)]:
            lines.append(
                json.dumps(
                    {
                        "id": f"pad.{item['key']}",
                        "title": item["title"],
                        "summary": item.get("abstractNote", ""),
                        "authors": [c.get("lastName", "") for c in item.get("creators", [])],
                        "categories": ["cs.LG"],
                    }
                )
            )
    path = work / f"digest-{size}.jsonl"
    path.write_text("\n".join(lines[:size]) + "\n", encoding="utf-8")
    return path


def embedded_library(work: Path, size: int, collections: bool = False) -> Path:
    """The first ``size`` scale items in an embedded library file (keys kept); ``collections``: filed
    in the scale library's collections (about half of the items, one collection per arXiv archive),
    as a user's library is, so the run also finds the interests and files the papers."""
    from benchmarks import scale_data
    from zotrec.library.embedded import EmbeddedLibrary

    path = work / f"library-{size}.sqlite"
    items, folders = scale_data.load_library(size)
    lib = EmbeddedLibrary(path)
    keys = {c["key"]: lib.ensure_collection(c["name"]) for c in folders} if collections else {}
    lib.add_items(
        [dict(item, collections=[keys[c] for c in item.get("collections", []) if c in keys]) for item in items]
    )
    lib.close()
    return path


def csl_library(work: Path, size: int) -> Path:
    from benchmarks import scale_data
    from zotrec.library.transfer import to_csljson

    items, _ = scale_data.load_library(size)
    path = work / f"library-{size}.json"
    path.write_text(to_csljson(items, {}), encoding="utf-8")
    return path


def change_library(path: Path, seed: int = 0) -> dict[str, int]:
    """``CHANGES`` applied to the library: items added, edited and deleted, as a user would."""
    from benchmarks import scale_data

    rng = random.Random(seed)
    if path.suffix == ".json":
        entries = json.loads(path.read_text(encoding="utf-8"))
        spare, _ = scale_data.load_library(50_000)
        for n in sorted(rng.sample(range(len(entries)), CHANGES["deleted"]), reverse=True):
            del entries[n]
        for n in rng.sample(range(len(entries)), CHANGES["edited"]):
            entries[n]["title"] = f"Revised: {entries[n].get('title', '')}"
            entries[n]["abstract"] = entries[n].get("abstract", "") + " We add a new experiment."
        for item in spare[-CHANGES["added"] :]:
            entries.append(
                {"id": item["key"], "type": "article", "title": item["title"], "abstract": item.get("abstractNote", "")}
            )
        path.write_text(json.dumps(entries, indent=2), encoding="utf-8")
        return dict(CHANGES)
    from zotrec.library.embedded import EmbeddedLibrary

    lib = EmbeddedLibrary(path)
    keys = [item["key"] for item in lib.snapshot().items]
    picked = rng.sample(keys, CHANGES["edited"] + CHANGES["deleted"])
    for key in picked[: CHANGES["edited"]]:
        item = lib.item(key) or {}
        lib.update_item(
            key,
            {
                "title": f"Revised: {item.get('title', '')}",
                "abstractNote": item.get("abstractNote", "") + " We add a new experiment.",
            },
        )
    for key in picked[CHANGES["edited"] :]:
        lib.delete_item(key)
    spare, _ = scale_data.load_library(50_000)
    lib.add_items(
        [{k: v for k, v in item.items() if k not in ("collections", "key")} for item in spare[-CHANGES["added"] :]]
    )
    lib.close()
    return dict(CHANGES)


# -- runs -----------------------------------------------------------------------------------------
def run_recommend(library: Path, digest: Path, home: Path) -> dict[str, Any]:
    before = load()
    child = run_child(
        [*zotrec_command(), "recommend", "--library", str(library), "--digest", str(digest), "--json", "--all"],
        env={"ZOTREC_HOME": str(home)},
    )
    if child.returncode != 0:
        raise RuntimeError(f"zotrec recommend failed (exit {child.returncode}): {child.stderr.strip()[-400:]}")
    return {
        "seconds": child.wall,
        "cpu_s": child.cpu,
        "rss_mb": child.maxrss_mb,
        "load": max(before, load()),
        "papers": len(json.loads(child.stdout)),
    }


def run_anchor(size: int, digest_size: int) -> dict[str, Any]:
    before = load()
    child = run_child([sys.executable, "-m", "benchmarks.speed", "_worker", "anchor", str(size), str(digest_size)])
    child.result()
    return {"seconds": child.wall, "cpu_s": child.cpu, "rss_mb": child.maxrss_mb, "load": max(before, load())}


def sequence(library: Path, digest: Path, work: Path, repeats: int, log=print) -> dict[str, list[dict[str, Any]]]:
    """cold, unchanged, after 50 changes; each ``repeats`` times (in fresh homes and library copies)."""
    out: dict[str, list[dict[str, Any]]] = {"cold": [], "unchanged": [], "changed": []}
    for n in range(repeats):
        home = work / f"home-{library.stem}-{digest.stem}-{n}"
        copy = work / f"copy-{n}-{library.name}"
        shutil.copyfile(library, copy)
        for step in ("cold", "unchanged", "changed"):
            if step == "changed":
                change_library(copy, seed=n)
            res = run_recommend(copy, digest, home)
            out[step].append(res)
            log(
                f"  {library.name} x {digest.stem}: {step:<9} {res['seconds']:6.2f} s  cpu {res['cpu_s']:6.2f} s  "
                f"rss {res['rss_mb']:5.0f} MB  load {res['load']:.1f}"
            )
        shutil.rmtree(home, ignore_errors=True)
        copy.unlink(missing_ok=True)
    return out


def bibtex_runs(work: Path, repeats: int, anchor: bool = True, log=print) -> list[dict[str, Any]]:
    """The BibTeX library's second runs (one home each: the first run parses the file and builds the
    features, the second finds both cached); [] when the shared data is absent."""
    if not (BIBTEX.exists() and BIBTEX_DIGEST.exists()):
        log("  BibTeX library: ../shared/data absent, skipped")
        return []
    out = []
    for n in range(repeats):
        home = work / f"home-bibtex-{n}"
        for step in ("first", "second"):
            res = run_recommend(BIBTEX, BIBTEX_DIGEST, home)
            log(
                f"  {BIBTEX.name} x {BIBTEX_DIGEST.name}: {step:<6} {res['seconds']:6.2f} s  cpu {res['cpu_s']:6.2f} s  "
                f"rss {res['rss_mb']:5.0f} MB  load {res['load']:.1f}"
            )
        if anchor:
            argv = ["-m", "benchmarks.speed", "_worker", "anchor-files", str(BIBTEX), str(BIBTEX_DIGEST)]
            res["anchor_s"] = run_child([sys.executable, *argv]).result()["seconds"]
            log(f"  ASL refit on the parsed BibTeX library: {res['anchor_s']:6.2f} s")
        out.append(res)
        shutil.rmtree(home, ignore_errors=True)
    return out


def _med(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return median([r[key] for r in runs])


def measure(
    sizes: list[int],
    digests: list[int],
    file_size: int,
    repeats: int,
    anchor: bool = True,
    log=print,
    bibtex: bool = True,
    collections: bool = False,
) -> tuple[list[Row], dict[str, Any]]:
    """The daily targets, the growth curve (library sizes at a 2k digest, digest sizes at a 10k
    library) and the anchor at each point; returns table rows and raw figures. ``collections``: the
    libraries' items filed in collections (see :func:`embedded_library`)."""
    work = Path(tempfile.mkdtemp(prefix="zotrec-bench-daily-"))
    raw: dict[str, Any] = {"curve": {}, "anchor": {}, "file": {}}
    rows: list[Row] = []
    try:
        points = [(s, 2000) for s in sizes] + [(10_000, d) for d in digests if d != 2000 and 10_000 in sizes]
        digest_paths = {d: digest_file(work, d) for d in sorted({d for _, d in points})}
        libraries = {s: embedded_library(work, s, collections) for s in sorted({s for s, _ in points})}
        raw["collections"] = collections
        for size, dsize in points:
            seq = sequence(libraries[size], digest_paths[dsize], work, repeats, log)
            raw["curve"][f"{size}x{dsize}"] = seq
            if anchor:
                anc = [run_anchor(size, dsize) for _ in range(max(1, min(repeats, 2)))]
                raw["anchor"][f"{size}x{dsize}"] = anc
                log(f"  ASL anchor {size} x {dsize}: {_med(anc):6.2f} s  rss {max(r['rss_mb'] for r in anc):5.0f} MB")
        if file_size:
            path = csl_library(work, file_size)
            raw["file"] = sequence(path, digest_paths[2000], work, repeats, log)
            raw["file_size"] = file_size
        if bibtex:
            raw["bibtex"] = bibtex_runs(work, repeats, anchor, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows += target_rows(raw)
    rows += curve_rows(raw)
    return rows, raw


def _ratio(raw: dict[str, Any], key: str, seconds: float) -> str:
    anc = raw["anchor"].get(key)
    return f"ASL refit {_med(anc):.2f} s, zotrec/ASL {seconds / _med(anc):.2f}" if anc else "anchor not run"


def _load_note(runs: list[dict[str, Any]]) -> str:
    return f"load {median([r['load'] for r in runs]):.1f}, CPU {_med(runs, 'cpu_s'):.1f} s"


def target_rows(raw: dict[str, Any]) -> list[Row]:
    rows = []
    curve = raw["curve"]
    filed = " (items in collections)" if raw.get("collections") else ""
    for key, step, label, limit in (
        ("10000x2000", "unchanged", "2k digest x 10k library, unchanged", 3.0),
        ("50000x2000", "changed", "2k digest x 50k library, 50 items added/edited/deleted", 6.0),
        ("50000x2000", "cold", "2k digest x 50k library, cold", 15.0),
    ):
        if key not in curve:
            continue
        runs = curve[key][step]
        value = _med(runs)
        rows.append(
            Row(
                "1 daily",
                label + filed,
                fmt_s(value),
                f"<= {limit:g} s",
                "ok" if value <= limit else "MISS",
                f"{_ratio(raw, key, value)}; {_load_note(runs)}",
            )
        )
    if "50000x2000" in curve:
        rss = max(r["rss_mb"] for r in curve["50000x2000"]["cold"])
        rows.append(
            Row(
                "1 daily", "peak RSS, 2k x 50k cold", f"{rss:.0f} MB", "<= 1229 MB", "ok" if rss <= 1229 else "MISS", ""
            )
        )
    if raw.get("bibtex"):
        runs, value = raw["bibtex"], _med(raw["bibtex"])
        ratio = "anchor not run"
        if all("anchor_s" in r for r in runs):
            asl = _med(runs, "anchor_s")
            ratio = f"ASL refit {asl:.2f} s (file parsed beforehand, not timed), zotrec/ASL {value / asl:.2f}"
        rows.append(
            Row(
                "1 daily",
                "2.7 MB BibTeX library (1,040 items) x 108 papers, second run",
                fmt_s(value),
                "<= 2 s",
                "ok" if value <= 2.0 else "MISS",
                f"{ratio}; {_load_note(runs)}",
            )
        )
    if raw.get("file"):
        for step, label in (("unchanged", "unchanged"), ("changed", "after 50 changes (file re-read)")):
            runs = raw["file"][step]
            size = raw["file_size"]
            rows.append(
                Row(
                    "1 daily",
                    f"2k digest x {size // 1000}k CSL-JSON file, {label}",
                    fmt_s(_med(runs)),
                    "",
                    "",
                    f"{_ratio(raw, f'{size}x2000', _med(runs))}; {_load_note(runs)}",
                )
            )
    return rows


def curve_rows(raw: dict[str, Any]) -> list[Row]:
    rows = []
    for key, seq in raw["curve"].items():
        size, dsize = (int(x) for x in key.split("x"))
        c, u, ch = _med(seq["cold"]), _med(seq["unchanged"]), _med(seq["changed"])
        rows.append(
            Row(
                "2 curve",
                f"{size // 1000:>3}k items x {dsize:>6,} papers: cold / unchanged / 50 changes",
                f"{fmt_s(c)} / {fmt_s(u)} / {fmt_s(ch)}",
                "",
                "",
                f"{_ratio(raw, key, ch)} (daily); CPU {_med(seq['cold'], 'cpu_s'):.1f} / "
                f"{_med(seq['unchanged'], 'cpu_s'):.1f} / {_med(seq['changed'], 'cpu_s'):.1f} s; "
                f"RSS {max(r['rss_mb'] for r in seq['cold']):.0f} MB; "
                f"load {median([r['load'] for r in seq['cold'] + seq['changed']]):.1f}",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daily", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000,20000,50000")
    parser.add_argument("--digests", default="500,2000,10000", help="digest sizes at the 10k library")
    parser.add_argument("--file-size", type=int, default=10_000, help="CSL-JSON file library size (0: none)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-anchor", action="store_true")
    parser.add_argument("--no-bibtex", action="store_true", help="leave out the shared BibTeX library")
    parser.add_argument(
        "--collections",
        action="store_true",
        help="file the libraries' items in collections (interests found, papers filed)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, raw = measure(
        [int(s) for s in args.sizes.split(",")],
        [int(d) for d in args.digests.split(",")],
        args.file_size,
        args.repeats,
        anchor=not args.no_anchor,
        log=lambda m: print(m, file=sys.stderr, flush=True),
        bibtex=not args.no_bibtex,
        collections=args.collections,
    )
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
