"""What every study's typed record view shares (``mnist.views``, ``gpt3.views``,
``alphacode.views``): the error a record of an unknown shape raises, and
the check that a stored dict holds exactly the fields a view reads.

A view reads a stored record into frozen dataclasses so that tables and
readings name fields instead of digging into nested dicts; a record whose
shape the code does not know fails at the view, naming what is missing or
new, not as a KeyError deep in a table. A view never changes what is stored.
"""

from __future__ import annotations

from dataclasses import MISSING, fields


class RecordShapeError(ValueError):
    """A record's fields are not the ones this view reads."""


def stored_key(field) -> str:
    """The name a dataclass field is stored under (``metadata["key"]``, else its own)."""
    return field.metadata.get("key", field.name)


def check_fields(data: dict, required, known, where: str, view: str) -> None:
    """``data`` holds every ``required`` key and no key outside ``known``."""
    missing, extra = sorted(set(required) - set(data)), sorted(set(data) - set(known))
    if missing or extra:
        raise RecordShapeError(f"{where}: missing {missing}, not known to {view} {extra}")


def exact_fields(cls, data: dict, where: str) -> None:
    """``data`` has exactly the keys ``cls`` stores (a view must not drop a
    field silently, nor invent one). Fields marked ``derived`` are not stored."""
    stored = {stored_key(f) for f in fields(cls) if not f.metadata.get("derived")}
    check_fields(data, stored, stored, where, cls.__name__)


def flat(cls, data: dict, where: str, convert: dict | None = None, optional: bool = False):
    """A flat dataclass ``cls`` from the stored dict ``data``. By default
    ``data`` holds exactly ``cls``'s fields (``exact_fields``); with
    ``optional``, fields with a default may be absent (records older than
    them) and stay at it, while an unknown key is still refused.
    ``convert``: per field name, how to read its stored value."""
    convert = convert or {}
    if optional:
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        check_fields(data, required, [f.name for f in fields(cls)], where, cls.__name__)
    else:
        exact_fields(cls, data, where)
    return cls(**{f.name: convert.get(f.name, _same)(data[f.name]) for f in fields(cls) if f.name in data})


def _same(value):
    return value


def check_record(record: dict, study: str, required, known=None) -> dict:
    """The record's result, after checking the record is ``study``'s and its
    result holds every ``required`` field and none outside ``known``
    (default: exactly ``required``). A bare ``{"config", "result"}`` (a
    computation not yet stored) has no study and passes as ``study``'s."""
    if record.get("study", study) != study:
        raise RecordShapeError(f"record {record.get('key')}: study {record.get('study')!r}, expected {study!r}")
    missing = sorted({"config", "result"} - set(record))
    if missing:
        raise RecordShapeError(f"record {record.get('key')}: missing {missing}")
    result = record["result"]
    check_fields(
        result, required, required if known is None else known, f"record {record.get('key')}: result", "the view"
    )
    return result
