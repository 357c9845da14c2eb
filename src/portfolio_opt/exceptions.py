"""Exceptions raised by portfolio_opt.

A small hierarchy that also subclasses the builtins, so ``except ValueError``
keeps working for callers who do not know this library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["InfeasibleError", "InputError", "PortfolioError", "SolverError", "describe_ids"]


class PortfolioError(Exception):
    """Base class of every error raised on purpose by portfolio_opt."""


class InputError(PortfolioError, ValueError):
    """Bad input data or a bad option.

    The message names the table, the column, the offending project ids and
    values, and how to fix it. When several problems are found they are all
    listed, one per line, so that one run shows everything to correct.

    Attributes
    ----------
    problems : tuple of str
        One sentence per problem found.
    """

    def __init__(self, problems: str | Sequence[str], *, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        prefix = f"{source}: " if source else ""
        self.problems = tuple(f"{prefix}{p}" for p in problems)
        self.source = source
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the input:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(message)


class InfeasibleError(PortfolioError, ValueError):
    """No portfolio satisfies every constraint.

    Attributes
    ----------
    reasons : tuple of str
        The conflicts found, in the analyst's words.
    conflicts : pandas.DataFrame or None
        A minimal set of conflicting constraint groups, in words (from
        :func:`portfolio_opt.diagnose.diagnose`); None when not diagnosed.
    relaxation : pandas.DataFrame or None
        How much extra budget or capacity, in which periods, would make a
        plan possible; None when not diagnosed.
    """

    def __init__(self, reasons: str | Sequence[str], *, conflicts: Any = None,
                 relaxation: Any = None) -> None:
        if isinstance(reasons, str):
            reasons = [reasons]
        self.reasons = tuple(reasons)
        self.conflicts = conflicts
        self.relaxation = relaxation
        message = "No portfolio satisfies every constraint:\n" + "\n".join(
            f"  - {r}" for r in self.reasons
        )
        super().__init__(message)


class SolverError(PortfolioError, RuntimeError):
    """The solver failed to run or returned something that cannot be read."""


def describe_ids(ids: Iterable[object], limit: int = 5, noun: str = "project") -> str:
    """Name the first few ids of a collection and say how many there are.

    Parameters
    ----------
    ids : iterable
        Project ids (or any labels), in the order to report them.
    limit : int, default 5
        How many to name before summarising the rest.
    noun : str, default "project"
        What the ids are; pluralised with an "s" when there are several.

    Returns
    -------
    str
        For example ``"P01, P02, P03 (3 projects)"``.

    Examples
    --------
    >>> describe_ids(["P01", "P02"])
    'P01, P02 (2 projects)'
    >>> describe_ids([f"P{i}" for i in range(8)], limit=3)
    'P0, P1, P2, ... (8 projects)'
    >>> describe_ids(["data"], noun="competence")
    'data (1 competence)'
    """
    names: list[str] = list(dict.fromkeys(str(i) for i in ids))
    head = ", ".join(names[:limit])
    if len(names) > limit:
        head += ", ..."
    plural = noun if len(names) == 1 else noun + "s"
    return f"{head} ({len(names)} {plural})"
