"""The one pipeline `zotrec sync` runs: digests -> topics -> scores -> choice -> push -> record.

`rank` does everything up to the choice (used by `zotrec recommend`); `sync` adds the push into the
target collection and the run record. Both are plain functions over a `Library` and a `StateStore`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zotrec.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL
from zotrec.library.base import Library, LibrarySnapshot
from zotrec.paper import Paper
from zotrec.push import PushOutcome, push
from zotrec.ranked import Ranked
from zotrec.recommend.cache import DEFAULT_COLLECTION, FeatureCache, library_index, profile_items
from zotrec.report import library_topics
from zotrec.state import StateStore

log = logging.getLogger("zotrec")

Progress = Callable[[str], None]


@dataclass
class SyncOptions:
    """Everything a run needs besides the library and the state (see zotrec.config)."""

    digests: list[str]
    collection: str = DEFAULT_COLLECTION
    threshold: float = 60.0  # on the 0-100 score scale
    top_n: int = 20
    per_topic_max: int | None = None
    route_by_topic: bool = False  # file each push in a subcollection named after its top topic
    dry_run: bool = False
    digest_date: dt.date | None = None
    skip_replacements: bool = False
    enrich: bool = False
    source_timeout: float = 60.0  # seconds for each digest URL, retries included (sources.timeout)
    model_path: Path | None = None
    personal_model_path: Path | None = None


@dataclass
class SyncResult:
    run_id: int | None
    papers_read: int
    sources: list[Any]  # zotrec.sources.SourceReport
    ranked: list[Ranked]
    library_size: int
    library_description: str
    threshold: float
    outcome: PushOutcome = field(default_factory=PushOutcome)
    dry_run: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    library_topics: dict[str, int] = field(default_factory=dict)
    library_id: str = ""  # the state's name of the library (tells the report whether Zotero can open its items)
    delivery: Any = None  # zotrec.deliver.Delivery once the run's report, feed and e-mail are out

    @property
    def recommended(self) -> list[Ranked]:
        return [r for r in self.ranked if r.chosen]

    @property
    def failed_sources(self) -> list[Any]:
        return [s for s in self.sources if s.error]

    @property
    def exit_code(self) -> int:
        if self.sources and len(self.failed_sources) == len(self.sources):
            return EXIT_INPUT
        if (self.failed_sources or self.outcome.failed or self.outcome.rejected
                or (self.delivery is not None and self.delivery.errors)):
            return EXIT_PARTIAL
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "papers": self.papers_read,
            "sources": [
                {"source": s.source, "count": s.count, "error": s.error, "format": getattr(s, "format", None)}
                for s in self.sources
            ],
            "library": {"description": self.library_description, "size": self.library_size, "id": self.library_id},
            "threshold": self.threshold,
            "recommended": [r.to_json() for r in self.recommended],
            "pushed": [
                {"title": p.title, "key": key, "ids": p.to_json()["ids"]} for p, key in self.outcome.pushed
            ],
            "failed": [{"title": p.title, "error": err} for p, err in self.outcome.failed],
            "rejected": [{"title": p.title, "error": err} for p, err in self.outcome.rejected],
            "skipped_duplicates": len(self.outcome.skipped_duplicates),
            "recovered": self.outcome.recovered,
            "dry_run": self.dry_run,
            "library_topics": self.library_topics,
            "started": self.started,
            "finished": self.finished,
            "all": [r.to_json() for r in self.ranked],
            "exit_code": self.exit_code,
        }


def profile_papers(snapshot: LibrarySnapshot, collection: str = DEFAULT_COLLECTION) -> list[Paper]:
    """:func:`profile_items` as Papers."""
    from zotrec.library.items import item_to_paper

    paths = {key: snapshot.collection_path(key) for key in snapshot.collections}
    return [item_to_paper(item, paths) for item in profile_items(snapshot, collection)]


def feedback_pairs(state: StateStore | None, library_id: str) -> list[tuple[Paper, int]]:
    """The feedback given in this library (another library's never changes its scores)."""
    if state is None:
        return []
    return [(Paper.from_json(f["paper"]), f["value"]) for f in state.feedback(library_id) if f["value"]]


def read_digests(options: SyncOptions):
    from zotrec.sources import read_sources

    return read_sources(
        options.digests,
        digest_date=options.digest_date,
        skip_replacements=options.skip_replacements,
        enrich=options.enrich,
        timeout=options.source_timeout,
    )


def rank(
    papers: list[Paper],
    snapshot: LibrarySnapshot,
    library_id: str,
    options: SyncOptions,
    state: StateStore | None = None,
    progress: Progress | None = None,
) -> list[Ranked]:
    """Label, score and choose: every digest paper, best first, with ``chosen`` set."""
    from zotrec.recommend import Recommender
    from zotrec.topics import load_topic_model

    say = progress or (lambda _msg: None)
    say(f"labelling {len(papers)} papers by topic")
    model = load_topic_model(options.model_path)
    topics = model.predict(papers) if papers else []
    personal = None
    if options.personal_model_path:
        personal = load_topic_model(options.personal_model_path)
    personal_topics = personal.predict(papers) if personal and papers else [[] for _ in papers]
    topics_by_id = {id(p): ts + pts for p, ts, pts in zip(papers, topics, personal_topics)}
    say(f"scoring against {len(snapshot.items)} library items")
    index = library_index(snapshot, library_id, FeatureCache(), options.collection)
    recs = Recommender(index, feedback=feedback_pairs(state, library_id)).rank(papers)
    ranked = [
        Ranked(
            paper=r.paper,
            score=float(r.score),
            topics=topics_by_id.get(id(r.paper), []),
            reasons=list(r.reasons),
            terms=list(r.terms),
        )
        for r in recs
    ]
    choose(ranked, options)
    return ranked


def choose(ranked: list[Ranked], options: SyncOptions) -> None:
    """Mark the papers to push: above the threshold, at most top-N, at most K per top topic."""
    per_topic: dict[str, int] = {}
    chosen = 0
    for r in ranked:
        top_topic = r.top_label
        if r.paper.extras.get("non_research"):
            r.why_not = "not a research paper"
        elif r.score < options.threshold:
            r.why_not = f"below threshold {options.threshold:g}"
        elif chosen >= options.top_n:
            r.why_not = f"top {options.top_n} reached"
        elif options.per_topic_max and per_topic.get(top_topic, 0) >= options.per_topic_max:
            r.why_not = f"per-topic cap {options.per_topic_max} reached for {top_topic}"
        else:
            r.chosen = True
            chosen += 1
            per_topic[top_topic] = per_topic.get(top_topic, 0) + 1


def sync(
    library: Library,
    state: StateStore,
    options: SyncOptions,
    *,
    library_id: str,
    progress: Progress | None = None,
) -> SyncResult:
    """Run the whole pipeline once and record the run in the state."""
    say = progress or (lambda _msg: None)
    run_id = state.start_run()
    try:
        say("reading digests")
        papers, reports = read_digests(options)
        say(f"reading the library ({library.description})")
        snapshot = library.snapshot()
        from zotrec.feedback import collect_feedback

        collect_feedback(snapshot, state, library_id, options.collection)
        ranked = rank(papers, snapshot, library_id, options, state, progress)
        result = SyncResult(
            run_id=run_id, papers_read=len(papers), sources=reports, ranked=ranked,
            library_size=len(snapshot.items), library_description=library.description,
            threshold=options.threshold, dry_run=options.dry_run,
            library_topics=library_topics(snapshot, library_id, options.model_path, options.collection),
            library_id=library_id,
        )
        candidates = result.recommended
        if options.route_by_topic:
            for r in candidates:
                r.subcollection = r.topics[0].label if r.topics else None
        if candidates or not options.dry_run:
            say(f"pushing {len(candidates)} recommendations into {options.collection!r}")
        result.outcome = push(
            library, snapshot, state, run_id, candidates,
            collection=options.collection, library_id=library_id, dry_run=options.dry_run,
        )
        state.mark_seen(run_id, [(r.paper.primary_key, r.paper.title, r.score) for r in ranked])
        result.finished = time.time()
        counts = {
            "papers": result.papers_read, "recommended": len(result.recommended),
            "pushed": len(result.outcome.pushed),
            "failed": len(result.outcome.failed) + len(result.outcome.rejected),
            "rejected": len(result.outcome.rejected),
            "skipped_duplicates": len(result.outcome.skipped_duplicates),
            "sources_failed": len(result.failed_sources),
        }
        outcome = "ok" if result.exit_code == EXIT_OK else ("dry-run" if options.dry_run else "partial")
        state.finish_run(run_id, outcome, counts, result.to_json())
        return result
    except BaseException as err:
        state.finish_run(run_id, "failed", {"error": type(err).__name__})
        raise
