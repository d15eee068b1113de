"""A digest or export cut off in the middle (a download or copy that stopped early): its complete
entries are read, one warning line names the file and says so, and the run exits 3 ("partly read"),
not 7; a file broken in the middle is still refused."""

from __future__ import annotations

import re

import pytest
from opshelp import embedded_config
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, SourceError
from zotrec.library.transfer import import_file
from zotrec.sources import read_digest, read_sources, sources_exit_code

runner = CliRunner()

FEEDS = {
    "arxiv-feed": ("digests/arxiv-rss-atom/cs.AI_2025-08-20_trimmed.atom.xml", "</entry>"),
    "arxiv-api": ("digests/arxiv-api-atom/query_all-nicotine_2026-07-17.atom.xml", "</entry>"),
    "journal-rdf": ("digests/journal-rss-nature/nature_current_2024-07-18.rss", "</item>"),
}


def _cut(shared_data, rel: str, tmp_path, fraction: float, name: str | None = None):
    """The first ``fraction`` of a real file (or its first ``fraction`` bytes, when above 1)."""
    data = (shared_data / rel).read_bytes()
    path = tmp_path / (name or ("cut-" + rel.rsplit("/", 1)[-1]))
    path.write_bytes(data[: int(fraction if fraction > 1 else len(data) * fraction)])
    return path, data


@pytest.mark.parametrize("fmt", sorted(FEEDS))
@pytest.mark.parametrize("fraction", [0.4, 0.75])
def test_a_cut_off_feed_gives_its_complete_entries(shared_data, tmp_path, fmt, fraction):
    rel, end_tag = FEEDS[fmt]
    path, data = _cut(shared_data, rel, tmp_path, fraction)
    whole = read_digest(str(shared_data / rel))
    cut = read_digest(str(path))
    complete = path.read_bytes().count(end_tag.encode())
    assert 0 < complete < len(whole.papers)
    assert [p.title for p in cut.papers] == [p.title for p in whole.papers[:complete]]
    assert whole.partial is None
    assert cut.partial and cut.partial.startswith("partly read: the file ends in the middle of an entry at line ")
    assert f"read the {complete} entries before the cut" in cut.partial and "\n" not in cut.partial
    assert cut.papers[-1].abstract == whole.papers[complete - 1].abstract  # the last kept entry is whole


def test_a_cut_off_json_list_gives_its_complete_papers(shared_data, tmp_path):
    rel = "digests/hf-daily-papers-api/2025-06-12.json"
    path, _ = _cut(shared_data, rel, tmp_path, 0.5)
    whole = read_digest(str(shared_data / rel)).papers
    cut = read_digest(str(path))
    assert 0 < len(cut.papers) < len(whole)
    assert [p.title for p in cut.papers] == [p.title for p in whole[: len(cut.papers)]]
    assert cut.partial and f"read the {len(cut.papers)} entries before the cut" in cut.partial


def test_cut_off_json_lines_mail_and_bibtex_say_so(shared_data, tmp_path):
    jsonl, _ = _cut(shared_data, "corpora/arxiv-daily-cs/2025-09-01.jsonl", tmp_path, 0.5)
    mail, _ = _cut(shared_data, "digests/arxiv-mail/astro-ph_daily_2023-03-03.txt", tmp_path, 60_000)
    bib, _ = _cut(shared_data, "libraries/nlp-ChenghaoMou/My Library.bib", tmp_path, 0.02)
    for path, what in ((jsonl, "a record"), (mail, "entry arXiv:"), (bib, "entry @")):
        digest = read_digest(str(path))
        assert digest.papers and digest.partial, path
        assert digest.partial.startswith(f"partly read: the file ends in the middle of {what}"), digest.partial
    whole_mail = read_digest(str(shared_data / "digests/arxiv-mail/astro-ph_daily_2023-03-03.txt")).papers
    cut_mail = read_digest(str(mail)).papers
    assert cut_mail[-1].abstract == next(p.abstract for p in whole_mail if p.arxiv_id == cut_mail[-1].arxiv_id)


def test_a_feed_broken_in_the_middle_is_still_refused(shared_data, tmp_path):
    data = (shared_data / FEEDS["arxiv-feed"][0]).read_text(encoding="utf-8")
    middle = data.index("</entry>", len(data) // 3)
    path = tmp_path / "broken.xml"
    path.write_text(data[:middle] + "<<" + data[middle:], encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_digest(str(path))
    assert info.value.problem.startswith("malformed XML")
    listing = tmp_path / "broken.json"
    listing.write_text('[{"paper": {"id": "2501.00001", "title": "A"}}, {"paper": {"id": x}}, {"title": "B"}]')
    assert pytest.raises(SourceError, read_digest, str(listing)).value.problem.startswith("invalid JSON")


def test_exit_codes_of_partly_read_sources(shared_data, tmp_path):
    cut, _ = _cut(shared_data, FEEDS["arxiv-feed"][0], tmp_path, 0.5)
    good = str(shared_data / "digests/hf-daily-papers-api/2024-10-01.json")
    missing = str(tmp_path / "missing.xml")
    assert sources_exit_code(read_sources([good])[1]) == EXIT_OK
    assert sources_exit_code(read_sources([str(cut)])[1]) == EXIT_PARTIAL
    assert sources_exit_code(read_sources([str(cut), missing])[1]) == EXIT_PARTIAL
    assert sources_exit_code(read_sources([missing])[1]) == EXIT_INPUT
    papers, reports = read_sources([str(cut), good])
    assert [r.count for r in reports] == [read_digest(str(cut)).papers.__len__(), 11]
    assert reports[0].partial and reports[1].partial is None and len(papers) == reports[0].count + 11


def test_importing_a_cut_off_export_keeps_its_complete_entries(shared_data, tmp_path):
    bib, _ = _cut(shared_data, "libraries/nlp-ChenghaoMou/My Library.bib", tmp_path, 0.02)
    result = import_file(bib, tmp_path / "lib.sqlite")
    starts = len(re.findall(r"^@\w+\{", bib.read_text(encoding="utf-8"), re.MULTILINE))
    assert result.added == starts - 1 and result.partial and "@misc{" in result.partial
    out = runner.invoke(app, ["library", "import", str(bib), "--library", str(tmp_path / "other.sqlite")])
    assert out.exit_code == EXIT_PARTIAL, out.output
    assert out.stderr.startswith(f"warning: {bib}: partly read: ") and out.stderr.count("\n") == 1


def test_a_sync_on_a_cut_off_digest_pushes_its_complete_papers_and_exits_3(
    isolated_dirs, model, demo_library, shared_data, tmp_path
):
    cut, _ = _cut(shared_data, FEEDS["journal-rdf"][0], tmp_path, 0.5, name="nature.rss")
    embedded_config(isolated_dirs, model, demo_library)
    out = runner.invoke(app, ["sync", "--dry-run", "--digest", str(cut), "--threshold", "0", "--top", "100"])
    assert out.exit_code == EXIT_PARTIAL, out.output
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning: ")]
    assert any(line.startswith(f"warning: {cut}: partly read: ") for line in warnings), out.stderr
    assert "Traceback" not in out.output and "error:" not in out.stderr
    quiet = runner.invoke(app, ["--quiet", "sync", "--dry-run", "--digest", str(cut)])  # as cron runs it
    assert quiet.exit_code == EXIT_PARTIAL and quiet.stdout == ""
    assert quiet.stderr.startswith(f"warning: {cut}: partly read: "), quiet.stderr  # the reason for exit 3


def test_a_byte_that_is_not_utf8_is_named_by_line_and_column(tmp_path):
    path = tmp_path / "library.bib"
    path.write_bytes(b"@article{a,\n  title = {A},\n}\n@article{b,\n  title = {Caf\xe9},\n}\n")
    problem = pytest.raises(SourceError, read_digest, str(path)).value.problem
    assert problem == "not UTF-8 text (invalid byte 0xe9 at line 5, column 15); re-save the file as UTF-8"


def test_recommend_against_a_cut_off_library_export_warns_on_every_run(isolated_dirs, model, shared_data, tmp_path):
    bib, _ = _cut(shared_data, "libraries/nlp-ChenghaoMou/My Library.bib", tmp_path, 0.3)
    embedded_config(isolated_dirs, model, tmp_path / "library.sqlite")
    digest = str(shared_data / "digests/hf-daily-papers-api/2025-06-12.json")
    for _ in range(2):  # the second run reads the parsed file from the cache: the warning stays
        out = runner.invoke(app, ["recommend", "--library", str(bib), "--digest", digest])
        assert out.exit_code == EXIT_OK, out.output
        assert f"warning: {bib}: partly read: the file ends in the middle of entry @" in out.stderr, out.stderr
    out = runner.invoke(app, ["interests", "--library", str(bib)])
    assert out.exit_code == EXIT_OK and f"warning: {bib}: partly read: " in out.stderr, out.output


def test_a_feed_cut_between_two_entries_says_so(shared_data, tmp_path):
    data = (shared_data / FEEDS["arxiv-feed"][0]).read_text(encoding="utf-8")
    path = tmp_path / "cut.xml"
    path.write_text(data[: data.index("</entry>", len(data) // 2) + len("</entry>\n")], encoding="utf-8")
    digest = read_digest(str(path))
    assert digest.partial and "without its closing tags (cut off?)" in digest.partial, digest.partial
    assert len(digest.papers) == path.read_text(encoding="utf-8").count("</entry>")


def test_a_cut_off_gzip_digest_gives_the_papers_before_the_cut(shared_data, tmp_path):
    import gzip

    whole = (shared_data / "corpora/arxiv-daily-cs/2025-09-03.jsonl").read_bytes()
    packed = gzip.compress(whole, mtime=0)
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 3])
    digest = read_digest(str(path), dedupe_within=False)
    expected = [
        p.title
        for p in read_digest(str(shared_data / "corpora/arxiv-daily-cs/2025-09-03.jsonl"), dedupe_within=False).papers
    ]
    assert 0 < len(digest.papers) < len(expected)
    assert [p.title for p in digest.papers] == expected[: len(digest.papers)]
    assert digest.partial and digest.partial.startswith("partly read: the compressed file ends early (cut off?)")
    path.write_bytes(packed[:15])  # nothing but the header: still one line, no papers
    assert pytest.raises(SourceError, read_digest, str(path)).value.problem.startswith("broken gzip data")


def test_a_cut_off_ris_export_says_so(shared_data, tmp_path):
    from zotrec.library.embedded import EmbeddedLibrary
    from zotrec.library.transfer import export_collection

    library = tmp_path / "lib.sqlite"
    import_file(shared_data / "libraries" / "semanticbim-accord" / "better-bibtex-json.json", library)
    snapshot = EmbeddedLibrary(library).snapshot()
    collection = snapshot.collection_path(next(iter(snapshot.collections)))
    ris = export_collection(library, collection, "ris")
    whole = tmp_path / "whole.ris"
    whole.write_text(ris, encoding="utf-8")
    cut = tmp_path / "cut.ris"
    cut.write_text(ris[: ris.index("AB  - ", len(ris) // 2) + 20], encoding="utf-8")
    complete = cut.read_text(encoding="utf-8").count("\nER  -")
    assert read_digest(str(whole)).partial is None
    digest = read_digest(str(cut), dedupe_within=False)
    assert len(digest.papers) == complete and complete > 0
    assert digest.partial and digest.partial.startswith("partly read: the file ends in the middle of the record at")
