"""`minishop download NAME` and `--data NAME`: registry data sets by name, from a fake cache folder
($MINISHOP_CACHE), with the network cut off so that nothing can be downloaded by accident."""

import hashlib
import io
import json
import os
import urllib.request

import pytest

from minishop.cli import main
from minishop.data import registry

TINY = ["--epochs", "1", "--d-model", "8", "--n-blocks", "1", "--n-heads", "1", "--max-len", "10",
        "--eval-every", "1", "--quiet"]


def sasrec_lines(n_users=40, n_items=25):
    """A small file in SASRec's format ("user item" per line, in time order): each user walks the catalogue."""
    return "".join(f"{user} {(user + step) % n_items + 1}\n" for user in range(1, n_users + 1) for step in range(8))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder as $MINISHOP_CACHE, and no network: any download attempt fails the test."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("MINISHOP_CACHE", str(folder))

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to download")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return folder


def test_a_registry_name_missing_from_the_cache_says_how_to_download_it(cache, tmp_path, capsys):
    code = main(["train", "--data", "amazon-games", "--out", str(tmp_path / "run")] + TINY)
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert "--data amazon-games" in error and "minishop download amazon-games" in error
    assert str(cache / "amazon-games.txt") in error
    assert not os.path.exists(tmp_path / "run")


def test_a_manual_data_set_missing_from_the_cache_names_the_page_to_get_it_from(cache, capsys):
    with pytest.raises(FileNotFoundError, match="download https://www.kaggle.com.* by hand.*events.csv"):
        registry.resolve("retailrocket")
    assert main(["download", "retailrocket"]) == 2
    assert "needs a login" in capsys.readouterr().err


def test_an_existing_file_wins_over_a_registry_name_and_a_wrong_format_is_refused(cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "amazon-games").write_text("1 1\n")
    assert registry.resolve("amazon-games", "sasrec") == ("amazon-games", "sasrec")  # the file of that name
    assert registry.resolve(None, "shop") == (None, "shop")  # the bundled shop
    (tmp_path / "amazon-games").unlink()
    (cache / "amazon-games.txt").write_text("1 1\n")
    assert registry.resolve("amazon-games", "shop") == (str(cache / "amazon-games.txt"), "sasrec")
    with pytest.raises(ValueError, match="--format csv: the registry data set amazon-games is a 'sasrec' file"):
        registry.resolve("amazon-games", "csv")


@pytest.mark.slow
def test_train_evaluate_and_recommend_read_a_cached_registry_data_set_by_name(cache, tmp_path, capsys):
    (cache / "amazon-games.txt").write_text(sasrec_lines())
    run = str(tmp_path / "run")
    assert main(["train", "--data", "amazon-games", "--out", run] + TINY) == 0
    config = json.load(open(os.path.join(run, "config.json")))
    assert config["data"] == str(cache / "amazon-games.txt") and config["format"] == "sasrec"
    # resuming with the name typed again is the same data, not a conflicting setting
    assert main(["train", "--data", "amazon-games", "--out", run, "--resume", "--quiet"]) == 0
    assert main(["evaluate", run, "--data", "amazon-games", "--no-baselines"]) == 0
    assert main(["recommend", run, "--user", "7", "--data", "amazon-games", "-k", "3"]) == 0
    printed = capsys.readouterr().out
    assert "data: " + str(cache / "amazon-games.txt") in printed and "40 users" in printed
    assert "top 3 recommendations:" in printed


def test_download_prints_the_cached_file_without_fetching_it_again(cache, capsys):
    (cache / "amazon-games.txt").write_text(sasrec_lines())
    assert main(["download", "amazon-games"]) == 0
    assert str(cache / "amazon-games.txt") in capsys.readouterr().out


def test_download_fetches_into_the_cache_and_checks_the_checksum(cache, monkeypatch, capsys):
    body = sasrec_lines().encode()

    def serve(url, timeout):
        response = io.BytesIO(body)
        response.headers = {"Content-Length": str(len(body))}
        return response
    monkeypatch.setattr(urllib.request, "urlopen", serve)
    assert main(["download", "ml-1m-sasrec"]) == 0  # no checksum known: kept as served
    assert (cache / "ml-1m.txt").read_bytes() == body
    assert main(["download", "amazon-games"]) == 2  # a known checksum that does not match: refused, deleted
    error = capsys.readouterr().err
    assert f"sha256 {hashlib.sha256(body).hexdigest()}" in error and "was deleted" in error
    assert sorted(os.listdir(cache)) == ["ml-1m.txt"]


def test_download_without_a_name_lists_the_registry_and_an_unknown_name_is_refused(cache, capsys):
    assert main(["download"]) == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in registry.REGISTRY)
    with pytest.raises(SystemExit) as stop:
        main(["download", "amazon-gmaes"])
    assert stop.value.code == 2 and "invalid choice: 'amazon-gmaes'" in capsys.readouterr().err
