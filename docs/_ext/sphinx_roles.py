"""Griffe extension for the docs build: render Sphinx roles in docstrings as cross-references.

The docstrings are numpydoc and written for Sphinx as well, so they say
``:func:`~portfolio_opt.scoring.score``` or ``:class:`Selection```. mkdocstrings does not read
Sphinx roles; this extension rewrites each role, in the docstring text only (the source is
untouched), to an *optional* mkdocs-autorefs cross-reference: a link where the target is
documented on the site, plain code where it is not (an external or private name), never a
warning. ``~`` keeps only the last part of the dotted name as the text, as in Sphinx.

Loaded by mkdocs.yml (``extensions: - docs/_ext/sphinx_roles.py``); not part of the package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`(~?)([^`<>]+?)`")


def _replace(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2).strip().rstrip("()")
    text = target.rsplit(".", 1)[-1] if tilde else target
    return (f'<autoref identifier="{html.escape(target)}" optional>'
            f"<code>{html.escape(text)}</code></autoref>")


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of the loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:  # noqa: D102
        self._walk(pkg, set())

    def _walk(self, obj: Any, seen: set[int]) -> None:
        if id(obj) in seen or getattr(obj, "is_alias", False):
            return
        seen.add(id(obj))
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_replace, obj.docstring.value)
        for member in obj.members.values():
            self._walk(member, seen)
