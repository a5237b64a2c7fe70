"""A registry of public e-commerce datasets: where to get them, what they are, under which license.

    from minishop.data import registry
    print(registry.describe())                   # the table of datasets
    path = registry.download("amazon-games")     # into the cache (~/.cache/minishop), with a progress bar
    prepared = minishop.data.prepare(path, format=registry.info("amazon-games").format)

Nothing is downloaded unless you ask. A file already in the cache is used as is. When a checksum is known, a
download is verified against it. Datasets behind a login (Kaggle, CodaLab) cannot be fetched automatically:
`download` then says where to get the file and where to put it. Offline, `download` says the same.
"""

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass

from tqdm import tqdm


@dataclass(frozen=True)
class Dataset:
    name: str
    format: str  # the minishop.data.load format
    url: str  # official download URL (for manual ones: the page to download from)
    filename: str  # the file name in the cache
    license: str
    description: str
    sha256: str = ""  # "" when not known
    manual: bool = False  # True: needs a login or a form; download by hand


REGISTRY = {d.name: d for d in (
    Dataset("amazon-games", "sasrec", "https://raw.githubusercontent.com/kang205/SASRec/master/data/Video.txt",
            "amazon-games.txt", "Apache-2.0 (kang205/SASRec repository); reviews from McAuley et al.'s Amazon corpus",
            "Amazon Video Games as preprocessed by the SASRec authors: 287,107 interactions, 31,013 users, "
            "23,715 items", sha256="b7376fe24430743f411dc7f567285657b2adb3f74361cc7ba0aee94f3024b651"),
    Dataset("ml-1m-sasrec", "sasrec", "https://raw.githubusercontent.com/kang205/SASRec/master/data/ml-1m.txt",
            "ml-1m.txt", "Apache-2.0 (kang205/SASRec repository); MovieLens terms of use (GroupLens)",
            "MovieLens-1M in SASRec's format: ~1M ratings, 6,040 users, 3,416 items"),
    Dataset("amazon-2023-video-games", "amazon",
            "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/review_categories/Video_Games.jsonl.gz",
            "Video_Games.jsonl.gz", "research use (McAuley Lab, Amazon Reviews'23; see amazon-reviews-2023.github.io)",
            "Amazon Reviews 2023, Video Games reviews (JSON Lines, gzip); metadata is a separate file"),
    Dataset("amazon-2018-video-games-5core", "amazon",
            "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/categoryFilesSmall/Video_Games_5.json.gz",
            "Video_Games_5.json.gz", "research use (McAuley Lab, Amazon Review Data 2018)",
            "Amazon Review Data 2018, Video Games 5-core reviews (JSON Lines, gzip)"),
    Dataset("online-retail", "online-retail", "https://archive.ics.uci.edu/static/public/352/online+retail.zip",
            "online+retail.zip", "CC BY 4.0 (UCI Machine Learning Repository)",
            "UCI Online Retail: a UK gift shop's transactions 2010-2011. The zip holds an Excel sheet: export it "
            "to CSV before loading"),
    Dataset("online-retail-ii", "online-retail", "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip",
            "online+retail+ii.zip", "CC BY 4.0 (UCI Machine Learning Repository)",
            "UCI Online Retail II: the same shop 2009-2011 (Excel; export each sheet to CSV before loading)"),
    Dataset("retailrocket", "retailrocket", "https://www.kaggle.com/datasets/retailrocket/ecommerce-dataset",
            "events.csv", "CC BY-NC-SA 4.0 (Retail Rocket, via Kaggle)",
            "RetailRocket e-commerce events: 2.7M views, add-to-carts and transactions", manual=True),
    Dataset("diginetica", "diginetica", "https://competitions.codalab.org/competitions/11161",
            "train-item-views.csv", "CIKM Cup 2016 competition terms (research use)",
            "CIKM Cup 2016 Track 2 (DIGINETICA) item views by session", manual=True),
)}


def cache_dir():
    """$MINISHOP_CACHE, else ~/.cache/minishop."""
    return os.environ.get("MINISHOP_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "minishop")


def info(name):
    if name not in REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[name]


def describe():
    """A readable table of the registry."""
    lines = []
    for d in REGISTRY.values():
        how = "manual download" if d.manual else "registry.download()"
        lines.append(f"{d.name:32s} format={d.format:14s} {how}\n    {d.description}\n    url: {d.url}\n"
                     f"    license: {d.license}" + (f"\n    sha256: {d.sha256}" if d.sha256 else ""))
    return "\n".join(lines)


def resolve(data, data_format=None):
    """(path, format) to read for --data: a registry name becomes its file in the cache and its format;
    an existing file or folder (or None, the bundled shop) is returned as given.

    Never downloads: a registry data set that is not in the cache is a FileNotFoundError saying how to get
    it (`minishop download NAME`, or by hand for the ones behind a login). A --format other than the data
    set's own (or the default "shop") is a ValueError.
    """
    if data is None or os.path.exists(data) or data not in REGISTRY:
        return data, data_format
    dataset = REGISTRY[data]
    if data_format not in (None, "shop", dataset.format):
        raise ValueError(f"--format {data_format}: the registry data set {data} is a {dataset.format!r} file")
    target = os.path.join(cache_dir(), dataset.filename)
    if not os.path.exists(target):
        how = _where_to_put(dataset, target)
        if not dataset.manual:
            how = f"run `minishop download {data}` on a machine with internet (or {how})"
        raise FileNotFoundError(f"--data {data}: this registry data set is not in the cache yet; {how}")
    if dataset.filename.endswith(".zip"):
        raise ValueError(f"--data {data}: {target} is a zip archive ({dataset.description}); pass the exported "
                         f"file instead: --data FILE.csv --format {dataset.format}")
    return target, dataset.format


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _where_to_put(dataset, target):
    return (f"download {dataset.url} by hand (in a browser, on a machine with internet) and save the file "
            f"{dataset.filename!r} as {target} (or set MINISHOP_CACHE to the folder that holds it)")


def download(name, folder=None, force=False):
    """The local path of dataset `name`, downloading it into the cache first if it is not there."""
    dataset = info(name)
    folder = folder or cache_dir()
    target = os.path.join(folder, dataset.filename)
    if os.path.exists(target) and not force:
        return target
    if dataset.manual:
        raise RuntimeError(f"{name} needs a login to download: " + _where_to_put(dataset, target))
    os.makedirs(folder, exist_ok=True)
    partial = target + ".part"
    try:
        with urllib.request.urlopen(dataset.url, timeout=30) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}") as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as error:
        if os.path.exists(partial):
            os.remove(partial)
        raise RuntimeError(f"could not download {name} from {dataset.url} ({error}). If you are offline, "
                           + _where_to_put(dataset, target)) from error
    if dataset.sha256:
        digest = sha256_of(partial)
        if digest != dataset.sha256:
            os.remove(partial)
            raise RuntimeError(f"{name}: downloaded file has sha256 {digest}, expected {dataset.sha256}; "
                               "the file was deleted. The source may have changed: check the URL.")
    shutil.move(partial, target)
    return target
