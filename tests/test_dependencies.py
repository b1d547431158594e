"""pyproject.toml declares what the code imports, and nothing the product does not use: read from the sources."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Declared for what another library loads on the product's behalf, not imported by name.
LOADED_BY_OTHERS = {"python-multipart": "Starlette reads the login form with it",
                    "itsdangerous": "Starlette's SessionMiddleware signs the cookies with it",
                    "numpy": "rapidfuzz's cdist returns its matrices (imported too, in dynamics/)"}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    return {normal(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in requirements}


@functools.cache
def distributions_imported(folder: Path) -> dict[str, str]:
    """Distribution → one file importing it, for every absolute import of a module outside the standard library."""
    owners = packages_distributions()
    ours = {"lzdocs", "tests", "benchmarks", "__future__"}
    if folder.name != "lzdocs":  # test and benchmark modules import their neighbours by bare name
        ours |= {p.stem for p in folder.rglob("*.py")}
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ours:
                    continue
                for dist in owners.get(top, [f"<not installed: {top}>"]):
                    found.setdefault(normal(dist), str(path.relative_to(REPO)))
    return found


def test_every_library_the_product_imports_is_declared():
    allowed = declared(PROJECT["dependencies"]) | declared(PROJECT["optional-dependencies"]["postgresql"])
    missing = {dist: where for dist, where in distributions_imported(REPO / "lzdocs").items() if dist not in allowed}
    assert missing == {}


def test_every_library_the_tests_import_is_declared_for_them():
    extras = PROJECT["optional-dependencies"]
    allowed = declared(PROJECT["dependencies"]) | declared(extras["postgresql"]) | declared(extras["test"])
    found = distributions_imported(REPO / "tests") | distributions_imported(REPO / "benchmarks")
    assert {dist: where for dist, where in found.items() if dist not in allowed} == {}


def test_every_declared_dependency_is_used():
    imported = set(distributions_imported(REPO / "lzdocs"))
    unused = declared(PROJECT["dependencies"]) - imported - set(LOADED_BY_OTHERS)
    assert unused == set()
