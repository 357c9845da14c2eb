"""Values in sentences: numbers and lists in explanations and diagnoses, quoted cells in errors.

One style for every module that words its results or its error messages.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["is_blank", "join", "listing", "number", "quote"]


def number(x: Any, thousands: str = ",") -> str:
    """Format a number for a sentence: ``1,200``, ``291.7``, ``0.125`` (tables keep every digit).

    Parameters
    ----------
    x : float or None
        The number; None reads ``?``.
    thousands : str, default ","
        Separator of the thousands (the explanations use a space: ``1 750``).

    Returns
    -------
    str

    Examples
    --------
    >>> number(1750.4), number(1750, thousands=" "), number(291.66), number(None)
    ('1,750', '1 750', '291.7', '?')
    """
    if x is None:
        return "?"
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
    return text if thousands == "," else text.replace(",", thousands)


def join(items: list[str], word: str = "and") -> str:
    """Join words as in a sentence: ``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join(["budget", "capacity", "risk"], "or")
    'budget, capacity or risk'
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def quote(value: Any) -> str:
    """Quote a value for an error message: strings in quotes, numbers plain (``-2``, ``nan``).

    Examples
    --------
    >>> quote("risk"), quote(np.float64(-2.0)), quote(True), quote(float("nan"))
    ("'risk'", '-2', 'True', 'nan')
    """
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):g}"
    return repr(value)


def listing(names: Sequence[Hashable], values: Any, mask: Any = None) -> str:
    """Format ``'a': 1, 'b': 2`` for the names and values where ``mask`` is true.

    Examples
    --------
    >>> listing(["fit", "risk"], [40, -5], mask=[False, True])
    "'risk': -5"
    """
    items = list(zip(names, values))
    if mask is not None:
        items = [item for item, keep in zip(items, mask) if keep]
    return ", ".join(f"{quote(n)}: {quote(v)}" for n, v in items)


def is_blank(value: Any) -> bool:
    """Tell whether a cell is blank: None, NaN, NA or an empty (or all-space) string.

    Examples
    --------
    >>> is_blank(" "), is_blank(None), is_blank(float("nan")), is_blank(0)
    (True, True, True, False)
    """
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
