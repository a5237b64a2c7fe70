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
    assert project["version"] == minishop.__version__
    assert set(project["dynamic"]) == {"dependencies", "optional-dependencies", "scripts"}  # given by setup.py


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
