"""Commands that only read leave nothing behind in a fresh home, and their one-line refusals carry
the documented exit codes: 2 for something the command line names that is not there (a run before
the first sync, a library file, a collection, an export format), 4 for a crontab zotrec cannot use."""

from __future__ import annotations

from opshelp import embedded_config
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE
from zotrec.library.transfer import import_file

runner = CliRunner()


def _files(home) -> list[str]:
    """The files under ``home`` other than the config, the log and the caches (safe to delete)."""
    return sorted(
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and not p.is_relative_to(home / "cache") and p.parent.name not in ("config", "logs")
    )


def test_reading_commands_in_a_fresh_home_create_no_state_and_no_library(isolated_dirs, model, tmp_path):
    library = tmp_path / "library.sqlite"
    embedded_config(isolated_dirs, model, library)
    digest = str(demo_digest_path())
    out = runner.invoke(app, ["recommend", "--digest", digest])
    assert out.exit_code == EXIT_OK, out.output
    assert "your library is empty" in out.stderr
    for args in (["history"], ["history", "--json"], ["feedback"], ["interests"], ["doctor"]):
        runner.invoke(app, args)
    assert "no runs recorded yet" in runner.invoke(app, ["history"]).stdout
    assert runner.invoke(app, ["history", "--json"]).stdout.strip() == "[]"
    doctor = " ".join(runner.invoke(app, ["doctor"]).output.split())
    assert "not created yet" in doctor and "FAIL library your library is empty" in doctor
    for args in (["report"], ["report", "--open"], ["history", "--run", "1"]):
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not library.exists() and not paths.state_file().exists()
    assert _files(isolated_dirs) == []


def test_a_library_flag_naming_no_file_is_refused_not_created(isolated_dirs, model, tmp_path):
    embedded_config(isolated_dirs, model, tmp_path / "library.sqlite")
    typo = tmp_path / "Libary.sqlite"
    for command in (["sync", "--dry-run"], ["interests"], ["recommend", "--digest", str(demo_digest_path())]):
        result = runner.invoke(app, [*command, "--library", str(typo)])
        assert result.exit_code == EXIT_USAGE, (command, result.output)
        assert result.stderr.startswith(f"error: {typo}: no such") and result.stderr.count("\n") == 1
    assert not typo.exists()


def test_library_export_names_what_is_missing_with_exit_2(isolated_dirs, shared_data, tmp_path):
    library = tmp_path / "lib.sqlite"
    export = ["library", "export", "--library", str(library)]
    missing = runner.invoke(app, export)
    assert missing.exit_code == EXIT_USAGE and "no such library file" in missing.stderr
    import_file(shared_data / "libraries" / "semanticbim-accord" / "better-bibtex-json.json", library)
    before = runner.invoke(app, export)
    assert before.exit_code == EXIT_USAGE, before.output
    assert "no collection named 'zotrec: Recommended'; its collections: " in " ".join(before.stderr.split())
    assert runner.invoke(app, [*export, "--format", "docx"]).exit_code == EXIT_USAGE


def test_schedule_install_without_a_crontab_program_exits_4(isolated_dirs, model, tmp_path, monkeypatch):
    embedded_config(isolated_dirs, model, tmp_path / "library.sqlite")
    monkeypatch.setenv("ZOTREC_CRONTAB", str(tmp_path / "no-such-crontab"))
    result = runner.invoke(app, ["schedule", "--install"])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "command not found; add the printed line to your crontab by hand" in result.stderr


def test_zoteros_own_database_or_an_export_as_the_embedded_library_is_refused_untouched(
    isolated_dirs, model, shared_data, tmp_path
):
    """`zotero.library` may name zotero.sqlite (for the sqlite backend): with the default embedded
    backend zotrec must not add its tables to Zotero's database, nor touch an export file."""
    import hashlib
    import sqlite3

    import pytest

    from zotrec.errors import EXIT_BACKEND, LibraryError
    from zotrec.library.embedded import EmbeddedLibrary

    zotero = tmp_path / "zotero.sqlite"
    db = sqlite3.connect(zotero)
    db.executescript((shared_data / "zotero-schema" / "userdata.sql").read_text(encoding="utf-8"))
    db.close()
    export = tmp_path / "My Library.bib"
    export.write_bytes((shared_data / "libraries" / "nlp-ChenghaoMou" / "My Library.bib").read_bytes())
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (zotero, export)}
    with pytest.raises(LibraryError, match="this is Zotero's own database, not a zotrec library file"):
        EmbeddedLibrary(zotero)
    with pytest.raises(LibraryError, match="goes in with `zotrec library import FILE`"):
        EmbeddedLibrary(export)
    embedded_config(isolated_dirs, model, zotero)
    result = runner.invoke(app, ["sync", "--digest", str(demo_digest_path())])
    assert result.exit_code == EXIT_BACKEND and 'set zotero.backend = "sqlite"' in result.stderr, result.output
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (zotero, export)} == before
    cut_short = tmp_path / "new.sqlite"  # a library whose creation stopped after its first table
    sqlite3.connect(cut_short).executescript("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);")
    EmbeddedLibrary(cut_short).close()
