"""The tree is the architecture (CONTRIBUTING.md, "How the tree is layered"):
lib/gobig/ holds five layers, and a module imports only from its own layer
or those below it:

    core (1) < data (2) < methods (3) < studies (4) < report (5) < __main__

Inside ``methods`` and ``studies`` the subpackages are independent: a study
never imports another study, a methods group (``stats``, ``scaling``,
``robustness``, ``code``) never another group. Only the registry names every
study. Every import counts, also one inside a function (a cycle dodged by a
late import is still a cycle in the design)."""

import ast
from pathlib import Path

import pytest

from gobig.core import paths, registry

pytestmark = pytest.mark.unit

LIB = paths.ROOT / "lib" / "gobig"
#: The layers, bottom up; the top-level package and its command line sit above them all.
LAYERS = {"core": 1, "data": 2, "methods": 3, "studies": 4, "report": 5, "__main__": 6}
#: Layers whose subpackages must not import each other.
INDEPENDENT = ("methods", "studies")
#: Library modules allowed to import every study by name, with why.
KNOWN_EXCEPTIONS = {
    "core/registry.py": "the registry itself (it imports a study by name, on first use)",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in LIB.rglob("*.py")}


def imported_modules(path: Path, modules=MODULES) -> set[str]:
    """The gobig modules a file imports, anywhere in it, as full dotted names
    (``from gobig.core import store`` is ``gobig.core.store``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gobig":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.split(".")[0] == "gobig"}
    return names


def _place(module: str) -> tuple[int, str | None, str | None]:
    """(layer rank, layer, subpackage): ``gobig.studies.mnist.frames`` is (4, "studies", "mnist")."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0, None, None  # the package's own __init__ (its version): below everything
    layer = parts[1]
    assert layer in LAYERS, f"{module}: lib/gobig/{layer} is in no layer; add it to LAYERS and CONTRIBUTING.md"
    return LAYERS[layer], layer, parts[2] if len(parts) > 2 else None


def violations(importer: str, imported: set[str]) -> list[str]:
    rank, layer, group = _place(importer)
    found = []
    for other in sorted(imported):
        other_rank, other_layer, other_group = _place(other)
        if other_rank > rank:
            found.append(f"{importer} ({layer}) imports {other} ({other_layer}), a layer above it")
        elif layer in INDEPENDENT and other_layer == layer and group and other_group and other_group != group:
            found.append(f"{importer} imports {other}: {layer}/{group} and {layer}/{other_group} are independent")
    return found


def studies_imported(imported: set[str]) -> set[str]:
    return {name.split(".")[2] for name in imported if name.startswith("gobig.studies.")}


def test_every_library_module_imports_only_its_layer_and_those_below():
    found = [v for module, path in sorted(MODULES.items()) for v in violations(module, imported_modules(path))]
    assert not found, "\n".join(found)


def test_the_layering_check_can_fail(tmp_path):
    offender = tmp_path / "offender.py"
    offender.write_text(
        "from gobig.report import ledger\n"
        "def late():\n    from gobig.studies.gpt3 import study\n"
        "import gobig.methods.scaling.law\nfrom gobig.core import store\n"
    )
    imported = imported_modules(offender)
    assert imported == {
        "gobig.report.ledger",
        "gobig.studies.gpt3.study",
        "gobig.methods.scaling.law",
        "gobig.core.store",
    }
    assert len(violations("gobig.core.offender", imported)) == 3  # all but store
    assert len(violations("gobig.methods.stats.offender", imported)) == 3  # another methods group, and above
    assert violations("gobig.studies.mnist.offender", imported) == [
        "gobig.studies.mnist.offender (studies) imports gobig.report.ledger (report), a layer above it",
        "gobig.studies.mnist.offender imports gobig.studies.gpt3.study: studies/mnist and studies/gpt3 are independent",
    ]
    assert violations("gobig.report.offender", imported) == []


def test_no_library_module_but_the_registry_imports_every_study(tmp_path):
    studies = set(registry.NAMES)
    offenders = sorted(
        str(path.relative_to(LIB))
        for path in MODULES.values()
        if studies <= studies_imported(imported_modules(path)) and str(path.relative_to(LIB)) not in KNOWN_EXCEPTIONS
    )
    assert not offenders, (
        f"these modules import every study; loop over gobig.core.registry.STUDIES instead: {offenders}"
    )
    # The check can fail: a module importing all three, in any of the three spellings, is caught.
    offender = tmp_path / "offender.py"
    offender.write_text(
        "from gobig.studies import mnist\nimport gobig.studies.gpt3.study\n"
        "from gobig.studies.alphacode.claims import claims_table\n"
    )
    assert studies <= studies_imported(imported_modules(offender))
    # The registry finds each study in its own folder.
    assert [entry.study.__name__ for entry in registry.STUDIES] == [f"gobig.studies.{n}" for n in registry.NAMES]


def test_every_folder_of_code_is_a_package_and_every_layer_is_a_folder():
    """setuptools' ``packages.find`` (pyproject.toml) installs only folders with an
    ``__init__.py``; a folder of modules without one would be left out of an install."""
    folders = {path.parent for path in LIB.rglob("*.py") if "__pycache__" not in path.parts}
    assert all((folder / "__init__.py").exists() for folder in folders), sorted(
        str(f.relative_to(LIB)) for f in folders if not (f / "__init__.py").exists()
    )
    top = {p.name for p in LIB.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert top == {*LAYERS} - {"__main__"} | {"profiles"}, top


def test_contributing_lists_every_module_under_its_folder():
    """CONTRIBUTING.md's "lib/gobig" tables, one per folder, name exactly the
    folder's modules and packages, so the map a newcomer reads is the tree."""
    import re

    text = (paths.ROOT / "CONTRIBUTING.md").read_text()
    sections = dict(re.findall(r"^#### `([\w/]+/)`[^\n]*\n\n((?:\|[^\n]*\n)+)", text, re.M))
    folders = [LIB / "core", LIB / "data", *sorted((LIB / "methods").iterdir()), LIB / "studies", LIB / "report"]
    folders = [f for f in folders if (f / "__init__.py").exists() and f != LIB / "methods"]
    assert sorted(sections) == sorted(f"{f.relative_to(LIB)}/" for f in folders)
    for folder in folders:
        children = {p.stem for p in folder.glob("*.py") if p.name != "__init__.py"}
        children |= {f"{p.name}/" for p in folder.iterdir() if (p / "__init__.py").exists()}
        rows = set(re.findall(r"^\| `([^`*]+)` \|", sections[f"{folder.relative_to(LIB)}/"], re.M)) - {"module"}
        assert rows == children, (
            f"{folder.relative_to(LIB)}: CONTRIBUTING lists {sorted(rows)}, the folder holds {sorted(children)}"
        )


def private_imports(path: Path, modules=MODULES) -> list[str]:
    """Where a file takes a private name (one leading underscore) from another gobig
    module: ``from gobig.x import _name``, or ``module._name`` on an imported gobig module."""
    tree = ast.parse(path.read_text())
    bound = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gobig":
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            bound |= {alias.asname: alias.name for alias in node.names if alias.asname and alias.name in modules}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{bound[node.value.id]}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module_line(tmp_path):
    """A name one module takes from another is public: a leading underscore
    means "used only here". (Tests may reach into a module's private names.)"""
    assert {name: found for name, path in MODULES.items() if (found := private_imports(path))} == {}
    offender = tmp_path / "offender.py"
    offender.write_text(
        "from gobig.studies.mnist.claims import _blog_verdict\nfrom gobig.report import ledger\nledger._helper(1)\n"
    )
    assert private_imports(offender) == ["gobig.studies.mnist.claims._blog_verdict", "gobig.report.ledger._helper"]
