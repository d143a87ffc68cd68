"""Compact HTML previews for Jupyter (``_repr_html_``) of sgperms' Python
results, shaped like the Rust core's previews of tables and changes: a title
line, a table of the first rows, and how many more there are. Every text is
escaped, so a name from the site never becomes markup."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

#: Rows a preview shows before it says how many more there are.
CAP = 50


def escape(value: Any) -> str:
    """``value`` as text safe inside HTML: ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape("" if value is None else str(value), quote=True)


def preview(title: str, summary: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
            cap: int = CAP, what: str = "rows") -> str:
    """A ``<div>``: the bold ``title`` and ``summary`` on one line, then a table
    of ``header`` and the first ``cap`` of ``rows`` (none when there are no
    rows), then "… N more ``what``" when rows were left out. Returns the HTML."""
    rows = list(rows)
    out = [f"<div><p><b>{escape(title)}</b>: {escape(summary)}</p>"]
    if rows:
        out.append("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for row in rows[:cap]:
            out.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        out.append("</tbody></table>")
        if len(rows) > cap:
            out.append(f"<p>… {len(rows) - cap} more {escape(what)}</p>")
    out.append("</div>")
    return "".join(out)
