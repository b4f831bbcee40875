"""Personal data out of the evidence: e-mail addresses and phone numbers masked where the
data is, before anything is displayed.

Masking rendered text is not enough: pandas cuts a long cell to ``display.max_colwidth``
characters before it becomes text, and a cut address no longer looks like one. So the
stage kernels mask values (:func:`masked`) in a display formatter (:func:`mask_displays`)
that runs before pandas renders a table; the runner then masks every text output of the
executed notebook (:func:`mask_notebook`) for what is printed rather than displayed.

``jane.doe@x.co.za`` becomes ``j***@x.co.za``; ``(012) 345-6789`` becomes
``(***) ***-**89``: the domain and the last two digits stay, to tell values apart.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the runner masks text without loading pandas
    import numpy as np
    import pandas as pd

_LOCAL = r"[\w!#$%&'*+/=?^`{|}~.-]"  # an e-mail local part's characters
EMAIL_RE = re.compile(rf"(?<!{_LOCAL})({_LOCAL}){_LOCAL}*@(?=[\w\[-])")
"""An address's local part, up to and with its ``@``: a domain cut short still matches.
Masking is idempotent: ``j***@`` masks to itself."""
_GROUP = r"\(\d+(?:[ \u00a0./-]\d+)*\)"  # (012), (0-312), (06 1)
PHONE_RE = re.compile(
    r"(?<![\w+*])"  # not inside a word, a number or a mask
    r"(?!(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d))"  # an ISO date
    rf"\+?(?:{_GROUP}|\d)(?:[ \u00a0./-]?(?:{_GROUP}|\d))*(?!\w)"
)
"""A run of digits, maybe with a leading ``+``, parentheses and single separators."""
PHONE_MIN_DIGITS = 8
"""Fewer digits than this (7 when written in groups, as ``521 2345``) is a count, a year or
an id, not a phone number; digits with one decimal point (``0.98765432``) are a decimal.
Shorter local numbers are masked in contact columns only."""
PII_COLUMN_RE = re.compile(
    r"(?<![a-z])(e-?mails?|(tele)?phones?|mobiles?|cell|fax|tel)(?![a-z])", re.IGNORECASE
)
"""Column names whose every value is personal contact data."""


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    grouped = bool(re.search(r"\d[^\d]", text))  # written in groups: "521 2345", "(0-312) 345"
    if digits < PHONE_MIN_DIGITS - grouped or re.fullmatch(r"\d+\.\d{5,}", text):
        return text  # a count, a year, an id, or a decimal number
    keep = 2
    out = []
    for char in reversed(text):
        if char.isdigit():
            out.append(char if keep > 0 else "*")
            keep -= 1
        else:
            out.append(char)
    return "".join(reversed(out))


def mask_text(text: str) -> str:
    """Every e-mail address and phone number in ``text`` masked; in JSON text (a
    quarantined row's raw cells) every digit of a contact field's value but the last two."""
    if '":' in text:
        text = _JSON_PAIR_RE.sub(_mask_json_pair, text)
    text = EMAIL_RE.sub(r"\1***@", text)
    return PHONE_RE.sub(_mask_phone, text)


_JSON_PAIR_RE = re.compile(r'"((?:[^"\\]|\\.)*)":\s*"((?:[^"\\]|\\.)*)"')


def _mask_json_pair(match: re.Match[str]) -> str:
    key, value = match.groups()
    if PII_COLUMN_RE.search(key) and "@" not in value:
        return f'"{key}": "{_mask_all_digits(value)}"'
    return match.group(0)


def _mask_all_digits(text: str) -> str:
    """Every digit but the last two masked (a phone column's value that is no phone)."""
    digits = sum(c.isdigit() for c in text)
    seen = 0
    out = []
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen > digits - 2 else "*")
        else:
            out.append(char)
    return "".join(out)


def mask_value(value: Any, contact_column: bool = False) -> Any:
    """A cell's value masked: strings, and strings inside lists, tuples, arrays and dicts.
    In a contact column (an e-mail or phone column by its name) digits are masked even
    where the value is not a valid phone number."""
    if isinstance(value, str):
        masked_text = mask_text(value)
        if contact_column and masked_text == value and "@" not in value:
            return _mask_all_digits(value)
        return masked_text
    if isinstance(value, (list, tuple)) or _is_array(value):
        return [mask_value(v, contact_column) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v, contact_column) for k, v in value.items()}
    return value


def _is_array(value: Any) -> bool:
    """Whether ``value`` is a numpy array (none can be before numpy is imported)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _masked_series(series: pd.Series, rows: np.ndarray, contact_column: bool) -> pd.Series:
    import pandas as pd

    if series.dtype.kind in "biufcmM":  # numbers, booleans and dates hold no contact data
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.rename_categories(
            [mask_value(c, contact_column) for c in series.cat.categories]
        )
    values = series.to_numpy(dtype=object, copy=True)
    for i in rows:
        values[i] = mask_value(values[i], contact_column)
    out = pd.Series(values, index=series.index, name=series.name, dtype=object)
    if isinstance(series.dtype, pd.StringDtype):
        return out.astype(series.dtype)
    return out


def _masked_index(index: pd.Index) -> pd.Index:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_masked_index(level) for level in index.levels])
    if index.dtype.kind in "biufcmM":
        return index
    return pd.Index([mask_value(v) for v in index], name=index.name, dtype=object)


def masked(data: pd.DataFrame | pd.Series, all_rows: bool = False) -> Any:
    """A copy of a frame or series with e-mails and phones masked in every text value,
    index and column name. Unless ``all_rows``, a frame longer than pandas'
    ``display.max_rows`` is masked only in the first and last rows pandas displays."""
    import numpy as np
    import pandas as pd

    frame = data.to_frame() if isinstance(data, pd.Series) else data
    n = len(frame)
    limit = pd.get_option("display.max_rows")
    shown_all = all_rows or not limit or n <= 2 * limit
    rows = np.arange(n) if shown_all else np.r_[0:limit, n - limit : n]
    out = frame.copy(deep=False)
    for position, name in enumerate(frame.columns):
        contact = bool(PII_COLUMN_RE.search(str(name)))
        out.isetitem(position, _masked_series(frame.iloc[:, position], rows, contact))
    out.index = _masked_index(frame.index)
    out.columns = _masked_index(frame.columns)
    if isinstance(data, pd.Series):
        return out.iloc[:, 0].rename(mask_value(data.name))
    return out


def mask_displays(mask: bool = True) -> None:
    """In a running IPython kernel, show every DataFrame, Series, Markdown and string
    result with e-mails and phones masked (``mask=False`` shows them as they are)."""
    import pandas as pd
    from IPython import get_ipython
    from IPython.display import HTML, Markdown

    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    html, plain, markdown = (formatters[m] for m in ("text/html", "text/plain", "text/markdown"))
    registrations = [
        (html, pd.DataFrame, lambda df: masked(df)._repr_html_()),
        (html, HTML, lambda h: mask_text(h.data or "")),
        (plain, pd.DataFrame, lambda obj, p, cycle: p.text(repr(masked(obj)))),
        (plain, pd.Series, lambda obj, p, cycle: p.text(repr(masked(obj)))),
        (plain, str, lambda obj, p, cycle: p.text(repr(mask_text(obj)))),
        (markdown, Markdown, lambda md: mask_text(md.data or "")),
    ]
    for formatter, kind, printer in registrations:
        key = (formatter.format_type, kind)
        if mask:
            _SAVED.setdefault(key, formatter.type_printers.get(kind))
            formatter.for_type(kind, printer)
        elif key in _SAVED:
            previous = _SAVED.pop(key)
            formatter.type_printers.pop(kind, None)
            if previous is not None:
                formatter.for_type(kind, previous)


_SAVED: dict[tuple[str, type], Any] = {}
"""The printers :func:`mask_displays` replaced, to put back when masking is switched off."""


def mask_notebook(nb: Any) -> None:
    """Mask e-mails and phones in every text output of an in-memory notebook: printed
    text, tracebacks, and any rich output a kernel showed unmasked."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = mask_text(out["text"])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "application/json":
                    out["data"][mime] = mask_text(value) if isinstance(value, str) else value
            if "traceback" in out:
                out["traceback"] = [mask_text(t) for t in out["traceback"]]
            if "evalue" in out:
                out["evalue"] = mask_text(out["evalue"])
