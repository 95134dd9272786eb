"""The pinned environment is stated once in two forms that must agree.

pyproject.toml's extras (pinned, book, test) are what ``make venv`` installs;
environment.yml's pip section is what conda users install. Both must list the
same exact pins, so the book is built with the same versions either way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PINNED_EXTRAS = ("pinned", "book", "test")
EXACT_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")


def _canonical(name: str) -> str:
    """PEP 503 normalization, so `PyYAML` and `pyyaml` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = EXACT_PIN.match(requirement.strip())
        assert match, f"not an exact `name==version` pin: {requirement!r}"
        name = _canonical(match["name"])
        assert name not in pins, f"{name} pinned twice"
        pins[name] = match["version"]
    return pins


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def extras_pins(pyproject) -> dict[str, str]:
    extras = pyproject["project"]["optional-dependencies"]
    assert set(PINNED_EXTRAS) <= set(extras), f"missing extras: {set(PINNED_EXTRAS) - set(extras)}"
    pins: dict[str, str] = {}
    for extra in PINNED_EXTRAS:
        for name, version in _pins(extras[extra]).items():
            assert pins.get(name, version) == version, f"{name} pinned differently across extras"
            pins[name] = version
    return pins


@pytest.fixture(scope="module")
def conda_pip_section() -> list[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `pip:` section"
    return [str(line) for line in pip_sections[0]]


def test_every_extras_requirement_is_an_exact_pin(pyproject):
    extras = pyproject["project"]["optional-dependencies"]
    for extra in PINNED_EXTRAS:
        _pins(extras[extra])  # asserts on anything that is not `name==version`


def test_environment_yml_pins_equal_pyproject_extras(extras_pins, conda_pip_section):
    assert "-e ." in conda_pip_section, "environment.yml must install the library itself (`-e .`)"
    conda_pins = _pins([line for line in conda_pip_section if line != "-e ."])
    assert conda_pins == extras_pins


def test_book_is_built_with_jupyter_book_1(extras_pins):
    assert extras_pins["jupyter-book"] == "1.0.4.post1"


def test_pinned_extra_satisfies_the_library_lower_bounds(pyproject, extras_pins):
    # Every library dependency is pinned, and no pin is below its lower bound.
    for requirement in pyproject["project"]["dependencies"]:
        name, _, lower = re.match(r"^([A-Za-z0-9._-]+)(>=)?(.*)$", requirement).groups()
        assert _canonical(name) in extras_pins, f"library dependency {name} has no pin"
        if lower:
            pinned = tuple(int(part) for part in re.findall(r"\d+", extras_pins[_canonical(name)])[:2])
            bound = tuple(int(part) for part in re.findall(r"\d+", lower)[:2])
            assert pinned >= bound, f"{name}=={extras_pins[_canonical(name)]} is below >={lower}"


def test_conda_python_satisfies_requires_python(pyproject):
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python="))
    major, minor = (int(part) for part in python.split("=")[1].split(".")[:2])
    lower = pyproject["project"]["requires-python"].removeprefix(">=")
    assert (major, minor) >= tuple(int(part) for part in lower.split(".")[:2])
