"""How a listing expert picks the main topic, and when it decodes a digest at all (validation days).

    python -m benchmarks.topics_main [--model FILE] [--out FILE]

The split of ``python -m benchmarks.topics validate``: a model trained on the days before the
validation days (``--model``: the one ``validate --save-model`` saved; without it, one is trained,
~15 minutes on a busy 2-core machine), given digest types and listing experts counted and trained
on those days; the test days play no part. Printed:

- the shipped decoding per listing (cs, astro-ph, q-bio; micro-F1 / main topic), with and without
  experts, and the main-topic confusions that cost most per listing;
- main-topic decoders over the digests an expert decodes (main topic = argmax of a main score; the
  shipped decoding lists that label first): the expert's main columns, the broad model's moved to
  the listing's mix, their geometric blend, EM re-estimation of the digest's mix under 10-1000
  pseudo-papers of the listing's, times the topic probability or not, and the digest's true mix
  (an oracle no decoder has: the ceiling of re-weighting these columns);
- the drift of every listing digest (:func:`zotrec.topics.experts.drift`, the log-likelihood per
  paper its own mix gains over its listing's), against the limit the shipped settings give it, and
  that of the real arXiv digests of ../shared/data/digests under the shipped model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.topics import (
    CORPORA,
    DIGESTS,
    NARROW,
    add_experts,
    as_papers,
    attach_types,
    date_split,
    digest_of,
    type_counts,
)

STRENGTHS = (10.0, 30.0, 100.0, 300.0, 1000.0)
REAL = ("arxiv-api-atom", "arxiv-mail", "arxiv-rss-atom")


def per_listing(model: Any, val: list, digests: list, settings: Any, scores: tuple) -> dict[str, Any]:
    """Shipped-style decoding of each listing's validation papers: figures and costliest confusions."""
    from zotrec.topics.evaluate import evaluate

    out = {}
    for name in NARROW:
        rows = [i for i, r in enumerate(val) if r.corpus == name]
        ev = evaluate(
            model,
            [scores[2][i] for i in rows],
            [val[i].labels for i in rows],
            digests=[digests[i] for i in rows],
            settings=settings,
            scores=(scores[0][rows], scores[1][rows]),
            top_confusions=8,
        )
        s = ev.summary()
        out[name] = {"papers": len(rows), "micro_f1": s["micro_f1"], "top1_primary": s["top1_primary"]}
        out[name]["confusions"] = [(c["true"], c["predicted"], c["count"]) for c in ev.confusions]
    return out


def decoders(model: Any, val: list, digests: list, P_all: np.ndarray, X: Any) -> dict[str, dict[str, float]]:
    """Main-topic accuracy of each decoder over the digests an expert decodes, per listing."""
    from zotrec.topics import context as C
    from zotrec.topics import experts as E

    labels, prior, L = model.labels, model._p["prior"], len(model.labels)
    hits: dict[str, Counter] = defaultdict(Counter)
    seen: Counter = Counter()
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, r in enumerate(val):
        if r.corpus in NARROW:
            groups[digests[i]].append(i)
    for rows in groups.values():
        name, _w = E.pick(model._p["experts"], prior, P_all[rows, L:], np.zeros((len(rows), L)))
        if name is None or len(rows) < 2:
            continue
        listing = val[rows[0]].corpus
        expert = model._p["experts"][name]
        mine, cols = expert["prior"], E.columns_of(labels, expert["labels"])
        index = {label: k for k, label in enumerate(expert["labels"])}
        truth = np.array([index.get(val[i].labels[0], -1) for i in rows])
        own, n = E.expert_columns(expert, X[rows]), len(cols)
        Pb = C.shift_topics(P_all[rows][:, cols], prior["topic"][cols], mine["topic"])
        Mb = C.adjust(P_all[rows][:, L + cols], prior["main"][cols], mine["main"])
        P = E.blend(Pb, own[:, :n], 0.5, geometric=True)
        true_mix = np.bincount(truth[truth >= 0], minlength=n) + 1e-3
        scores = {"broad columns moved to the listing mix": Mb, "expert columns": own[:, n:]}
        for w in (0.3, 0.5, 0.7):
            M = E.blend(Mb, own[:, n:], w, geometric=True)
            scores[f"blend {w}"] = M
            scores[f"blend {w} x topic"] = M * P
            for s in STRENGTHS:
                scores[f"blend {w}, EM {s:g} x topic"] = (
                    C.adjust(M, mine["main"], C.reestimate(M, mine["main"], strength=s)) * P
                )
            scores[f"blend {w}, TRUE mix x topic (oracle)"] = C.adjust(M, mine["main"], true_mix) * P
        seen[listing] += len(rows)
        for key, S in scores.items():
            hits[key][listing] += int((S.argmax(1) == truth).sum())
    return {
        key: {"all": sum(c.values()) / sum(seen.values()), **{k: c[k] / seen[k] for k in seen}}
        for key, c in hits.items()
    }


def drifts(model: Any, groups: dict[Any, list[int]], P_all: np.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """The drift of each digest a listing expert would decode (shipped type choice), and its limit."""
    from zotrec.topics import context as C
    from zotrec.topics import experts as E

    prior, L, out = model._p["prior"], len(model.labels), []
    for key, rows in groups.items():
        M = P_all[rows, L:]
        weights = C.type_weights(M, prior["main"], prior["types"])
        k = int(weights.argmax())
        if len(rows) < 2 or k >= len(prior["type_names"]) or prior["type_names"][k] not in model._p["experts"]:
            continue
        mix = np.asarray(prior["types"])[k]
        limit = C.SHIPPED.expert_drift + C.SHIPPED.expert_drift_papers / len(rows)
        out.append(
            {"digest": names[rows[0]] if names else str(key), "papers": len(rows), "listing": prior["type_names"][k]}
            | {"drift": round(E.drift(M, prior["main"], mix), 3), "limit": round(limit, 3)}
        )
    return out


def real_drifts(digests_dir: Path = DIGESTS) -> list[dict[str, Any]]:
    """Drift of the real arXiv digests (categories removed) under the shipped model."""
    from zotrec.sources import read_source
    from zotrec.topics import load_topic_model

    model, rows, files = load_topic_model(), [], []
    papers: list = []
    for entry in REAL:
        for path in sorted((digests_dir / entry).iterdir()) if (digests_dir / entry).is_dir() else []:
            batch = read_source(str(path))
            for p in batch:
                p.categories = []
            rows.append(list(range(len(papers), len(papers) + len(batch))))
            files += [path.name] * len(batch)
            papers += batch
    if not papers:
        return []
    P_all, _known = model._calibrated(papers)
    return drifts(model, dict(enumerate(rows)), P_all, files)


def main(argv: list[str] | None = None) -> int:
    from zotrec.topics import context as C
    from zotrec.topics import load_topic_model
    from zotrec.topics.build import train_from_records
    from zotrec.topics.corpus import read_corpus

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics_main")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument(
        "--model", help="the validation model `python -m benchmarks.topics validate --save-model` saved"
    )
    parser.add_argument("--out", help="write the results (JSON) here")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    train, _test, _cuts = date_split(read_corpus([args.corpora]))
    fit, val, _val_cuts = date_split(train)
    model = load_topic_model(args.model) if args.model else train_from_records(fit, progress=log, n_jobs=1)
    attach_types(model, type_counts(fit, Path(args.corpora)))
    if not model.experts:
        add_experts(model, fit, log)
    papers, digests = as_papers(val), digest_of(val, Path(args.corpora))
    P_all, known, X = model._scored(papers)
    scores = (P_all, known, papers)
    results: dict[str, Any] = {
        "shipped": per_listing(model, val, digests, C.SHIPPED, scores),
        "no_experts": per_listing(model, val, digests, replace(C.SHIPPED, expert_type=1.1), scores),
        "decoders": decoders(model, val, digests, P_all, X),
    }
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, d in enumerate(digests):
        groups[d].append(i)
    results["drift_validation"] = drifts(model, groups, P_all, [f"{r.corpus} {d[1]}" for r, d in zip(val, digests)])
    results["drift_real"] = real_drifts()
    report(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def report(results: dict[str, Any]) -> None:
    print("== per listing, validation days (micro-F1 / main topic): shipped decoding | without experts")
    for name, row in results["shipped"].items():
        other = results["no_experts"][name]
        print(
            f"  {name:18s} {row['papers']:4d} papers: {row['micro_f1']:.3f} / {row['top1_primary']:.3f} | "
            f"{other['micro_f1']:.3f} / {other['top1_primary']:.3f}"
        )
        print(
            "     costliest main-topic confusions (true -> listed first): "
            + ", ".join(f"{t}->{g} {c}" for t, g, c in row["confusions"])
        )
    print("== main-topic decoders over the expert-decoded digests (argmax; all / per listing)")
    for key, row in results["decoders"].items():
        print(f"  {key:44s} " + " ".join(f"{k.split('-')[-1]} {v:.3f}" for k, v in row.items()))
    print("== drift of each digest a listing expert would decode (limit = 0.3 + 2 / papers)")
    for row in results["drift_validation"] + results["drift_real"]:
        gated = "  -> the broad model decodes it" if row["drift"] > row["limit"] else ""
        print(
            f"  {row['digest']:44s} {row['papers']:4d} papers, reads like {row['listing']:18s} "
            f"drift {row['drift']:.3f}, limit {row['limit']:.3f}{gated}"
        )


if __name__ == "__main__":
    sys.exit(main())
