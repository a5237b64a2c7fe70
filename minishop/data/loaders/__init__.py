"""One entry point for every supported source: `load(path, format=..., errors="raise"|"skip")`.

Each format's reader lives in its own file. All of them return a `LoadResult` whose `.interactions` table has
the columns user, item, timestamp, event (plus rating, text, session, order_id, ... where the source has them),
whose `.items` holds item metadata (item, title, category, ...) or None, and whose `.report` accounts for every
line read: rows in == rows kept + rows dropped by reason.
"""

from minishop.data.loaders.amazon import load_amazon
from minishop.data.loaders.base import LoadResult
from minishop.data.loaders.diginetica import load_diginetica
from minishop.data.loaders.online_retail import load_online_retail
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
}
FORMATS = tuple(LOADERS)


def load(path=None, format="shop", errors="raise", **options):
    """Load `path` written in `format` (one of FORMATS) into a LoadResult.

    errors="raise" stops at the first malformed line with an error naming the file, line, column and what was
    expected; errors="skip" skips such lines and counts them in the report. `path=None` with format="shop"
    loads the bundled data/shop. Extra options go to the format's loader (amazon: meta=<metadata file>).
    """
    if format not in LOADERS:
        raise ValueError(f"load(format={format!r}): expected one of {FORMATS}")
    if errors not in ("raise", "skip"):
        raise ValueError(f"load(errors={errors!r}): expected 'raise' or 'skip'")
    if path is None and format != "shop":
        raise ValueError(f"load(path=None, format={format!r}): a path is needed (only 'shop' has bundled data)")
    return LOADERS[format](path, errors=errors, **options)


__all__ = ["load", "LoadResult", "FORMATS", "default_shop_path"] + [f.__name__ for f in LOADERS.values()]
