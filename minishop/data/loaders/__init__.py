"""One entry point for every supported source: `load(path, format=..., errors="raise"|"skip", encoding=...)`.

Each format's reader lives in its own file. All of them return a `LoadResult` whose `.interactions` table has
the columns user, item, timestamp, event (plus rating, text, session, order_id, ... where the source has them),
whose `.items` holds item metadata (item, title, category, ...) or None, and whose `.report` accounts for every
line read: rows in == rows kept + rows dropped by reason.
"""

from minishop.data.loaders.amazon import load_amazon
from minishop.data.loaders.base import LoadResult
from minishop.data.loaders.diginetica import load_diginetica
from minishop.data.loaders.interactions import load_interactions, parse_columns
from minishop.data.loaders.online_retail import load_online_retail
from minishop.data.loaders.recbole import load_recbole
from minishop.data.loaders.retailrocket import load_retailrocket
from minishop.data.loaders.sasrec import load_sasrec
from minishop.data.loaders.shop import default_shop_path, load_shop
from minishop.data.loaders.sqlite import load_sqlite

LOADERS = {
    "shop": load_shop,
    "sasrec": load_sasrec,
    "amazon": load_amazon,
    "online-retail": load_online_retail,
    "retailrocket": load_retailrocket,
    "diginetica": load_diginetica,
    "sqlite": load_sqlite,
    "recbole": load_recbole,
    "csv": lambda path, **kw: load_interactions(path, format="csv", **kw),
    "tsv": lambda path, **kw: load_interactions(path, format="tsv", **kw),
    "parquet": lambda path, **kw: load_interactions(path, format="parquet", **kw),
}
FORMATS = tuple(LOADERS)
MAPPED = ("csv", "tsv", "parquet")  # the formats that take a column mapping


def load(path=None, format="shop", errors="raise", encoding="utf-8", columns=None, **options):
    """Load `path` written in `format` (one of FORMATS) into a LoadResult.

    errors="raise" stops at the first malformed line with an error naming the file, line, column and what was
    expected; errors="skip" skips such lines and counts them in the report. `encoding` is the text files'
    encoding. `columns` (csv, tsv, parquet only) maps our columns to the file's: {"user": "visitorid", ...}
    or "user=visitorid,item=itemid". `path=None` with format="shop" loads the bundled data/shop. Extra
    options go to the format's loader (amazon: meta=<metadata file>; csv/tsv: delimiter=).
    """
    if format not in LOADERS:
        raise ValueError(f"load(format={format!r}): expected one of {FORMATS}")
    if errors not in ("raise", "skip"):
        raise ValueError(f"load(errors={errors!r}): expected 'raise' or 'skip'")
    if path is None and format != "shop":
        raise ValueError(f"load(path=None, format={format!r}): a path is needed (only 'shop' has bundled data)")
    if columns is not None:
        if format not in MAPPED:
            raise ValueError(f"load(columns=...): a column mapping applies to the formats {MAPPED}, "
                             f"not {format!r} (whose columns are fixed)")
        options["columns"] = columns
    if format == "sqlite":
        if encoding.replace("-", "").lower() != "utf8":
            raise ValueError(f"load(encoding={encoding!r}): a SQLite database has no text encoding to choose")
        return LOADERS[format](path, errors=errors, **options)
    return LOADERS[format](path, errors=errors, encoding=encoding, **options)


__all__ = ["load", "LoadResult", "FORMATS", "MAPPED", "default_shop_path", "load_interactions", "parse_columns",
           "load_amazon", "load_diginetica", "load_online_retail", "load_recbole", "load_retailrocket",
           "load_sasrec", "load_shop", "load_sqlite"]
