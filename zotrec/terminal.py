"""The terminal: a rich Console that prints every string as plain text, never as markup.

Titles, authors, collection names and paths come from outside (digests, libraries); a title such as
``[/INST]`` or ``[link=javascript:...]`` must print as written, not raise MarkupError or become a
link, and an escape sequence must not reach the terminal. Tables, ``print`` and the progress
spinner of every command go through :func:`plain_console`.
"""

from __future__ import annotations

from typing import Any, Self

from rich.console import Console
from rich.text import Text

from zotrec.text import strip_controls


class PlainConsole(Console):
    """A Console for which a ``str`` is always literal text (no markup, emoji codes or highlighting)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(strip_controls(text), **kwargs)

    def status(self, status: Any, **kwargs: Any) -> PlainStatus:  # type: ignore[override]
        return PlainStatus(super().status(plain(status), **kwargs))


class PlainStatus:
    """rich's Status whose messages are plain text too (rich parses a str status as markup)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def update(self, message: object) -> None:
        self._inner.update(plain(message))


def plain(value: object) -> Text:
    """``value`` as a rich Text that is printed exactly as written (controls removed)."""
    return value if isinstance(value, Text) else Text(strip_controls(str(value)))


def plain_console(**kwargs: Any) -> PlainConsole:
    kwargs.setdefault("highlight", False)
    return PlainConsole(markup=False, emoji=False, **kwargs)
