"""The layer contract (pyproject.toml, run by `make lint`) really fails on an upward import, even one inside a
function: a copy of the tree passes, and the same copy with one deliberate violation does not."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tomllib

from django.conf import settings

REPO = pathlib.Path(settings.BASE_DIR)
LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")


def _copy_of_the_tree(target: pathlib.Path) -> None:
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
    for package in packages:
        shutil.copytree(REPO / package, target / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")


def _lint_imports(tree: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_upward_import_inside_a_function_breaks_the_layer_contract(tmp_path: pathlib.Path) -> None:
    _copy_of_the_tree(tmp_path)
    clean = _lint_imports(tmp_path)
    with (tmp_path / "common" / "ids.py").open("a") as source:
        source.write("\n\ndef _reaches_up():\n    from contacts.models import Contact\n\n    return Contact\n")

    broken = _lint_imports(tmp_path)

    assert clean.returncode == 0, clean.stdout
    assert broken.returncode != 0
    assert "common is not allowed to import contacts" in broken.stdout
    assert "common.ids -> contacts.models" in broken.stdout


def test_a_business_module_importing_a_sibling_breaks_the_layer_contract(tmp_path: pathlib.Path) -> None:
    _copy_of_the_tree(tmp_path)
    with (tmp_path / "cases" / "services.py").open("a") as source:
        source.write("\n\nfrom tasks.models import Task  # noqa: E402\n")

    broken = _lint_imports(tmp_path)

    assert broken.returncode != 0
    assert "cases.services -> tasks.models" in broken.stdout
