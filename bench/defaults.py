"""Defaults on real data: `minishop train` with no flags on several data sets, against the three baselines.

    python bench/defaults.py shop ml-100k=PATH/ml-100k.inter:recbole diginetica=PATH/sample.csv:diginetica \
        games=../shared/data/amazon-games.txt:sasrec --out runs/defaults

Each argument is NAME=FILE:FORMAT (or `shop`, the bundled data). Every run is the command a new user types,
`minishop train --data FILE --format FORMAT --out DIR/NAME`, with nothing else, one after another on one
thread; its results.json gives the table: the model and the best baseline under both protocols, the
settings chosen from the data, and the seconds the run took (load, training and test evaluation).
"""

import argparse
import json
import os
import subprocess
import sys
import time


def run(name, path, data_format, out):
    """Train with no flags into out/name; (results.json, seconds)."""
    folder = os.path.join(out, name)
    command = ["minishop", "--threads", "1", "train", "--out", folder, "--overwrite", "--quiet"]
    if path:
        command += ["--data", path, "--format", data_format]
    start = time.time()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as file:
        return json.load(file), time.time() - start


def row(name, results, seconds):
    """One markdown row: model vs the best baseline, both protocols, what was chosen, how long."""
    cells = [name]
    for protocol in ("full", "sampled"):
        model = results["model"][protocol]["NDCG@10"]
        baselines = {key: value[protocol]["NDCG@10"] for key, value in results.items()
                     if key != "model" and isinstance(value, dict) and isinstance(value.get(protocol), dict)}
        best = max(baselines, key=baselines.get)
        mark = "**" if model > baselines[best] else ""
        cells.append(f"{mark}{model:.4f}{mark} vs {best} {baselines[best]:.4f}")
    chosen = results.get("from_data", {})
    cells.append(", ".join(f"{key} {value['value']}" for key, value in chosen.items()))
    cells.append(f"{seconds:.0f}")
    return "| " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", help="shop, or NAME=FILE:FORMAT")
    parser.add_argument("--out", default="runs/defaults", help="folder of the run folders")
    args = parser.parse_args()
    print("| data | full NDCG@10: model vs best baseline | sampled NDCG@10: model vs best baseline "
          "| chosen from the data | seconds |")
    print("|---|---|---|---|---|")
    for spec in args.datasets:
        name, _, source = spec.partition("=")
        path, _, data_format = source.rpartition(":") if source else ("", "", "shop")
        if path and not os.path.exists(path):
            print(f"| {name} | skipped: {path} not found | | | |")
            continue
        results, seconds = run(name, path or None, data_format, args.out)
        print(row(name, results, seconds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
