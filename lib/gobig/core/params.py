"""Typed parameter validation for the chapters' papermill parameters.

Each study declares a table of ``Spec``s keyed by the notebook's parameter
names. ``validate`` checks every value before any compute and stops at the
first bad one with an error that names the parameter and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gobig.core.errors import UserError


class ParameterError(UserError, ValueError):
    """A chapter parameter has a wrong name, type or value: a notebook or a
    papermill run shows which parameter, what was given and what is allowed,
    in one line (``UserError``)."""


#: A notebook parameter's name: the chapters' parameters are all UPPER_CASE.
_PARAMETER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: A ``Spec.default`` meaning "no default": the parameter must be given.
REQUIRED = _Required()


@dataclass(frozen=True)
class Spec:
    """One parameter: its element type, what values it may take, and its
    value when a profile leaves it out (``default``; ``REQUIRED``: none)."""

    kind: type  # int, float, str or bool: the type of the value, or of each list element
    help: str
    is_list: bool = False
    allowed: tuple | None = None  # an explicit set of values
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive
    above: float | None = None  # exclusive lower bound
    optional: bool = False  # None allowed
    allow_empty: bool = False  # for lists
    default: Any = REQUIRED
    #: Where the value goes in a config, ``"section.field"`` (None: nowhere, or a rule of the
    #: study's own places it), and for which kinds of config only (a study's own, e.g. chapter
    #: 1's training modes; None: every config): what a record's key holds is read off here.
    config: str | None = None
    only_for: tuple | None = None

    def comment(self) -> str:
        """The parameter's comment in a chapter's parameters cell (what ``papermill
        --help-notebook`` shows): its help, and its allowed values where the help does not name them."""
        # No "=" or "#": papermill's reader of a parameters cell would take the line apart there.
        if self.allowed is None or all(str(value) in self.help for value in self.allowed):
            return self.help
        return f"{self.help} (allowed: {', '.join(str(value) for value in self.allowed)})"

    def describe(self) -> str:
        if self.allowed is not None:
            text = "one of " + ", ".join(repr(v) for v in self.allowed)
        else:
            text = {int: "an integer", float: "a number", str: "a string", bool: "True or False"}[self.kind]
            bounds = []
            if self.above is not None:
                bounds.append(f"> {self.above}")
            if self.minimum is not None:
                bounds.append(f">= {self.minimum}")
            if self.maximum is not None:
                bounds.append(f"<= {self.maximum}")
            if bounds:
                text += " " + " and ".join(bounds)
        if self.is_list:
            text = ("a list" if self.allow_empty else "a non-empty list") + f" of {text}"
        if self.optional:
            text += ", or None"
        return text

    def check(self, name: str, value: Any) -> Any:
        value = self._parse_text(value)
        if value is None and self.optional:
            return None
        if self.is_list:
            if isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, list):
                raise ParameterError(f"{name}: got {value!r}; expected {self.describe()}")
            if not value and not self.allow_empty:
                raise ParameterError(f"{name}: the list is empty; expected {self.describe()}")
            return [self._check_scalar(name, item) for item in value]
        return self._check_scalar(name, value)

    def _parse_text(self, value: Any) -> Any:
        """A string where a list, number or flag is declared is read as YAML.

        ``papermill -p SEEDS "[0, 1]"`` passes the string ``"[0, 1]"`` (only
        ``-y`` and ``-f`` parse YAML), so the text a user types is taken as the
        value it spells, the way ``-y`` would read it. A declared string stays
        the string it is; text that does not parse is left for the check to
        reject with the allowed values.
        """
        if not isinstance(value, str) or (self.kind is str and not self.is_list):
            return value
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        if isinstance(parsed, str) and self.kind in (int, float):
            parsed = _number(parsed)  # YAML 1.1 reads "1e-3" as text; Python reads it as a number
        elif isinstance(parsed, list) and self.kind in (int, float):
            parsed = [_number(item) if isinstance(item, str) else item for item in parsed]
        return value if isinstance(parsed, str) else parsed

    def _check_scalar(self, name: str, value: Any) -> Any:
        fail = ParameterError(f"{name}: got {value!r}; expected {self.describe()}")
        # bool is a subclass of int in Python; a flag is never a number here.
        if self.kind is bool:
            if not isinstance(value, bool):
                raise fail
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise fail
            value = float(value)
        elif not isinstance(value, self.kind):
            raise fail
        if self.allowed is not None and value not in self.allowed:
            raise fail
        if self.minimum is not None and value < self.minimum:
            raise fail
        if self.maximum is not None and value > self.maximum:
            raise fail
        if self.above is not None and not value > self.above:
            raise fail
        return value


def config_section(specs: Mapping[str, Spec], params: Mapping[str, Any], section: str, kind=None) -> dict:
    """The part ``section`` of a config: each parameter declared to go there
    (``Spec.config``), under its field name, for a config of ``kind``."""
    return {
        spec.config.split(".", 1)[1]: params[name]
        for name, spec in specs.items()
        if spec.config and spec.config.split(".", 1)[0] == section and (spec.only_for is None or kind in spec.only_for)
    }


def declared_fields(specs: Mapping[str, Spec], section: str) -> set[str]:
    """Every field name the specs declare in config section ``section``."""
    return {
        spec.config.split(".", 1)[1] for spec in specs.values() if spec.config and spec.config.startswith(f"{section}.")
    }


def validate(specs: Mapping[str, Spec], values: Mapping[str, Any]) -> dict:
    """Check ``values`` against ``specs``: unknown names, missing names
    without a default and bad values all raise ``ParameterError`` naming the
    parameter. A missing name with a default takes it."""
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; known parameters: {', '.join(specs)}")
    values = {**{n: s.default for n, s in specs.items() if s.default is not REQUIRED}, **values}
    missing = [name for name in specs if name not in values]
    if missing:
        raise ParameterError(f"missing parameter(s) {', '.join(missing)}")
    return {name: spec.check(name, values[name]) for name, spec in specs.items()}


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def collect(namespace: Mapping[str, Any], specs: Mapping[str, Spec]) -> dict:
    """A chapter's parameter values from its namespace (``globals()``).

    papermill injects ``-p NAME value`` as a cell after the parameters cell,
    whatever NAME is, and only warns about a name the notebook does not
    declare; a misspelled ``-p SEDS "[0]"`` would then run the defaults. So
    every UPPER_CASE name in the namespace must be a known parameter, and an
    unknown one stops the run with the list of known parameters.
    """
    unknown = sorted(name for name in namespace if _PARAMETER_NAME.match(name) and name not in specs)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)} (misspelled?); known parameters: {', '.join(specs)}"
        )
    return {name: namespace[name] for name in specs if name in namespace}


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is
    an error (PyYAML keeps the last silently, so a repeated block in a
    profile would change values unseen)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ParameterError(
                    f"{getattr(self, 'name', 'a parameters file')}: {key} is given twice "
                    f"(line {key_node.start_mark.line + 1}); give each parameter once"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _UniqueKeyLoader.construct_mapping)


def load_yaml(path) -> dict:
    with open(path) as handle:
        values = yaml.load(handle, Loader=_UniqueKeyLoader) or {}
    if not isinstance(values, dict):
        raise ParameterError(f"{path}: a parameters file must be a mapping of NAME: value")
    return values


#: Named parameter sets, ``<study>_<profile>.yaml`` (usable with papermill -f): data of the
#: studies, so they live in lib/gobig/profiles/, beside the packages rather than inside core.
PROFILES_DIR = Path(__file__).parents[1] / "profiles"


def load_profile(study: str, name: str) -> dict:
    """A study's named profile; an unknown name lists the available ones."""
    path = PROFILES_DIR / f"{study}_{name}.yaml"
    if not path.is_file():
        available = sorted(p.stem.removeprefix(f"{study}_") for p in PROFILES_DIR.glob(f"{study}_*.yaml"))
        raise ValueError(f"profile {name!r} does not exist; available profiles: {', '.join(available)}")
    return load_yaml(path)


#: Each study's default profile, as data (``python -m gobig promote`` rewrites it).
DEFAULTS_FILE = PROFILES_DIR / "defaults.yaml"


def default_profile(study: str, path: Path = DEFAULTS_FILE) -> str:
    """The profile whose values are ``study``'s chapter defaults (``profiles/defaults.yaml``)."""
    defaults = load_yaml(path)
    if study not in defaults:
        raise ValueError(f"study {study!r} has no default profile in {path}; known: {', '.join(sorted(defaults))}")
    return defaults[study]
