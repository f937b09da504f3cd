"""The apps depend one way (pyproject.toml's import contract, docs/architecture.md): this
fails the suite, not only CI, when an app imports one above it."""

import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_apps_depend_one_way(monkeypatch):
    # The contract names the apps as top-level packages, as they are from the project's root.
    monkeypatch.syspath_prepend(str(ROOT))
    assert (
        lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
    )


def test_the_contract_catches_an_import_upwards(tmp_path, monkeypatch):
    """The same contract over a copy in which meetings imports projects is broken."""
    apps = ("common", "outbox", "members", "meetings", "projects", "yearwheel", "network_portal")
    for package in apps:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "meetings" / "views.py").write_text("import projects\n")
    # The contract as it is, without the rest of the project's configuration.
    marker = "# The apps depend one way"
    contract = marker + (ROOT / "pyproject.toml").read_text().split(marker, 1)[1]
    (tmp_path / "pyproject.toml").write_text(contract)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    for name in [m for m in sys.modules if m.split(".")[0] in apps]:
        monkeypatch.delitem(sys.modules, name)
    assert (
        lint_imports(config_filename=str(tmp_path / "pyproject.toml"), no_cache=True, no_logo=True)
        == 1
    )
