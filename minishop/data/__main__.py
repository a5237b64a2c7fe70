"""Command line: load and prepare a dataset and print what happened to every row.

    python -m minishop.data                                  # the bundled shop
    python -m minishop.data ../shared/data/amazon-games.txt --format sasrec
    python -m minishop.data orders.csv --format online-retail --errors skip
    python -m minishop.data events.csv --format csv --columns user=visitorid,item=itemid,timestamp=timestamp
"""

import argparse
import time

from minishop.data.loaders import FORMATS
from minishop.data.prepare import prepare


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minishop.data",
                                     description="Load, clean and split a dataset; print the row accounting.")
    parser.add_argument("path", nargs="?", default=None, help="file or folder (default: the bundled shop)")
    parser.add_argument("--format", default="shop", choices=FORMATS, help="input format (default: shop)")
    parser.add_argument("--errors", default=None, choices=("raise", "skip"),
                        help="malformed lines: stop with an error, or skip and count them "
                             "(default: skip for the bundled shop, raise otherwise)")
    parser.add_argument("--columns", default=None,
                        help="csv/tsv/parquet: the file's columns, as user=visitorid,item=itemid,timestamp=ts")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of the file (default utf-8)")
    parser.add_argument("--min-user-count", type=int, default=None, help="k-core minimum per user")
    parser.add_argument("--min-item-count", type=int, default=None, help="k-core minimum per item")
    parser.add_argument("--meta", default=None, help="amazon only: the item metadata file")
    args = parser.parse_args(argv)
    options = {"meta": args.meta} if args.meta else {}
    if args.columns:
        options["columns"] = args.columns
    start = time.perf_counter()
    try:
        prepared = prepare(args.path, format=args.format, errors=args.errors, encoding=args.encoding,
                           min_user_count=args.min_user_count, min_item_count=args.min_item_count, **options)
    except (ValueError, FileNotFoundError, ImportError) as error:  # DataFormatError is a ValueError
        parser.exit(2, f"python -m minishop.data: error: {error}\n")
    print(prepared.report)
    print(prepared)
    print(f"took {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
