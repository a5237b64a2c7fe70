"""The dataset registry, without the network: urlopen is replaced by fakes."""

import hashlib
import io
import urllib.error

import pytest

from minishop import data
from minishop.data import registry as datasets


class FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_registry_entries_are_complete():
    assert {"amazon-games", "online-retail", "retailrocket", "diginetica"} <= set(datasets.REGISTRY)
    for entry in datasets.REGISTRY.values():
        assert entry.url.startswith("https://") and entry.license and entry.filename
        assert entry.format in data.FORMATS
    assert datasets.info("amazon-games").sha256.startswith("b7376fe2")
    assert "amazon-games" in datasets.describe()
    with pytest.raises(KeyError, match="unknown dataset"):
        datasets.info("nope")


def test_cached_file_is_used_without_network(tmp_path, monkeypatch):
    (tmp_path / "events.csv").write_text("timestamp,visitorid,event,itemid,transactionid\n")
    monkeypatch.setenv("MINISHOP_CACHE", str(tmp_path))
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    assert datasets.download("retailrocket") == str(tmp_path / "events.csv")


def test_manual_and_offline_messages(tmp_path, monkeypatch):
    monkeypatch.setenv("MINISHOP_CACHE", str(tmp_path))
    with pytest.raises(RuntimeError, match="needs a login.*kaggle.*events.csv"):
        datasets.download("retailrocket")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="If you are offline, download https://raw.githubusercontent.com"):
        datasets.download("amazon-games")
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_download_verifies_checksum(tmp_path, monkeypatch):
    payload = b"1 1\n1 2\n2 1\n"
    entry = datasets.Dataset("tiny", "sasrec", "https://example.org/tiny.txt", "tiny.txt", "MIT", "three lines",
                             sha256=hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(datasets.REGISTRY, "tiny", entry)
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda *a, **k: FakeResponse(payload))
    path = datasets.download("tiny", folder=str(tmp_path))
    assert data.load(path, format="sasrec").report.rows_out == 3
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda *a, **k: FakeResponse(b"tampered\n"))
    with pytest.raises(RuntimeError, match="expected .* the file was deleted"):
        datasets.download("tiny", folder=str(tmp_path), force=True)
