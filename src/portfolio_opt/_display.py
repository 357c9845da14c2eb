"""Short displays of result objects: a heading line, then the first rows of the main table.

One look for the results of the many-solve analyses: ``repr`` is the heading in angle
brackets, the notebook view (``_repr_html_``) the heading in bold over the table.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Display"]


class Display:
    """Mixin giving a result class its ``__repr__`` and ``_repr_html_``.

    A class defines :meth:`_heading` (one line) and :meth:`_table` (the main table, in the
    order to show); ``_rows`` caps the rows shown and ``_float_format`` formats floats (both
    passed to :meth:`pandas.DataFrame.to_html`). A dataclass using it needs ``repr=False``,
    else the dataclass's own ``__repr__`` wins.

    Examples
    --------
    >>> import pandas as pd
    >>> class Result(Display):
    ...     _rows = 1
    ...     def _heading(self):
    ...         return "Result: 2 rows"
    ...     def _table(self):
    ...         return pd.DataFrame({"x": [1, 2]})
    >>> repr(Result())
    '<Result: 2 rows>'
    >>> Result()._repr_html_().startswith("<p><b>Result: 2 rows</b></p><table")
    True
    """

    _rows: ClassVar[int | None] = None
    _float_format: ClassVar[Any] = None

    def _heading(self) -> str:
        raise NotImplementedError

    def _table(self) -> pd.DataFrame:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self._heading()}>"

    def _repr_html_(self) -> str:
        table = self._table()
        if self._rows is not None:
            table = table.head(self._rows)
        html = table.to_html(float_format=type(self)._float_format)
        return f"<p><b>{escape(self._heading(), quote=False)}</b></p>" + html
