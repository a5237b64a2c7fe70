"""Packaging: a license, metadata in pyproject.toml, `minishop --version`, and the bundled shop without a
source checkout (an installed wheel regenerates it, byte for byte, into the user's cache)."""

import tomllib
from pathlib import Path

import pytest

import minishop
from minishop.cli import main
from minishop.data.loaders import shop

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_and_the_metadata_are_there():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "minishop" and project["license"] == "MIT" and project["readme"] == "README.md"
    assert "version" not in project  # written once, in minishop/__init__.py
    assert set(project["dynamic"]) == {"version", "dependencies", "optional-dependencies", "scripts"}


def test_the_version_is_written_once():
    """pyproject.toml takes minishop.__version__ (setuptools reads it from the source), and the installed
    package's metadata says the same."""
    from importlib.metadata import version

    from setuptools.config.expand import read_attr

    attr = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert read_attr(attr, root_dir=ROOT) == minishop.__version__ == version("minishop")


def test_config_files_read_on_python_3_10_with_tomli(monkeypatch, tmp_path):
    """Python 3.10 has no tomllib: minishop.config then reads TOML with tomli (setup.py requires it there)."""
    import importlib.util
    import sys

    fake_tomli = type(sys)("tomli")
    fake_tomli.loads, fake_tomli.TOMLDecodeError = tomllib.loads, tomllib.TOMLDecodeError
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` fails as on 3.10
    monkeypatch.setitem(sys.modules, "tomli", fake_tomli)
    spec = importlib.util.spec_from_file_location("config_on_310", ROOT / "minishop" / "config.py")
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    assert config.tomllib is fake_tomli
    (tmp_path / "settings.toml").write_text("d_model = 32\n")
    assert config.read_config_file(tmp_path / "settings.toml", config.ModelConfig) == {"d_model": 32}
    setup = (ROOT / "setup.py").read_text()
    assert "\"tomli>=1.1; python_version < '3.11'\"" in setup


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out.strip() == f"minishop {minishop.__version__}"


@pytest.mark.slow
def test_without_a_data_folder_the_shop_is_generated_into_the_cache_identically(tmp_path, monkeypatch):
    monkeypatch.delenv("MINISHOP_SHOP_DATA", raising=False)
    monkeypatch.setattr(shop, "checkout_shop", lambda: str(tmp_path / "no-checkout"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = Path(shop.default_shop_path())
    assert folder == tmp_path / "cache" / "minishop" / "shop"
    bundled = ROOT / "data" / "shop"
    names = sorted(path.name for path in bundled.iterdir())
    assert sorted(path.name for path in folder.iterdir()) == names
    for name in names:
        assert (folder / name).read_bytes() == (bundled / name).read_bytes(), name
    assert shop.default_shop_path() == str(folder)  # generated once, then reused
