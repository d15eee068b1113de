"""`zotrec COMMAND --help` explains every option a user can pass."""

from __future__ import annotations

import typer

from zotrec.cli import app


def _options_without_help(command, path: list[str]):
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _options_without_help(sub, [*path, name])
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and param.name != "help" and not param.help:
            yield " ".join(path), "/".join(param.opts)


def test_every_option_of_every_command_has_help_text():
    missing = list(_options_without_help(typer.main.get_command(app), ["zotrec"]))
    assert missing == []


def test_library_import_help_names_every_export_it_reads():
    from typer.testing import CliRunner

    shown = CliRunner().invoke(app, ["library", "import", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "BibTeX (.bib), CSL-JSON or Better BibTeX JSON (.json), Zotero RDF (.rdf)" in " ".join(shown.stdout.split())
