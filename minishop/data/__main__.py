"""Command line: load and prepare a dataset and print what happened to every row.

    python -m minishop.data                                  # the bundled shop
    python -m minishop.data ../shared/data/amazon-games.txt --format sasrec
    python -m minishop.data orders.csv --format online-retail --errors skip
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
    parser.add_argument("--min-user-count", type=int, default=None, help="k-core minimum per user")
    parser.add_argument("--min-item-count", type=int, default=None, help="k-core minimum per item")
    parser.add_argument("--meta", default=None, help="amazon only: the item metadata file")
    args = parser.parse_args(argv)
    options = {"meta": args.meta} if args.meta else {}
    start = time.perf_counter()
    prepared = prepare(args.path, format=args.format, errors=args.errors, min_user_count=args.min_user_count,
                       min_item_count=args.min_item_count, **options)
    print(prepared.report)
    print(prepared)
    print(f"took {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
