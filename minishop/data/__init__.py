"""minishop's data layer: load e-commerce data, clean it without losing rows silently, and turn it into
sequences, splits, negatives and padded batches for a sequential recommender.

    from minishop import data
    prepared = data.prepare()                  # the bundled shop, cleaned and split leave-one-out
    print(prepared.report)                     # every dropped row, by step and reason
    batch = data.pad_left([[3, 4, 5], [7]], max_len=4)

Files, one idea each, in reading order:

1. registry.py: the public datasets, where to get them and under which license (downloads only on request).
2. loaders/: one reader per format behind `load` (loaders/__init__.py). base.py holds what they share (the
   result, safe line reading, bad-row reports); table.py reads any delimited or Parquet file with pandas
   and finds its bad rows vectorised, for every reader below; interactions.py takes any CSV / TSV / Parquet
   with a column mapping; then shop.py, sasrec.py, amazon.py, online_retail.py, retailrocket.py,
   diginetica.py, sqlite.py, recbole.py.
3. report.py: the accounting of every dropped row, and the error that names the file, line and field.
4. preprocess.py (the cleaning steps), sequences.py (ids and per-user sequences), splits.py (leave-one-out,
   temporal), sampling.py (negatives), batches.py (padded batches).
5. prepare.py: the whole pipeline, from a path to a split with its report; __main__.py runs it from the shell.
6. labelled.py: `text<TAB>label` and CSV files of labelled sentences, for the review classifier.
7. The bundled shop: synthetic.py (the generator) with catalog.py and reviews_text.py, and shop_sqlite.py
   (its orders as a SQLite database, to collect with SQL).
"""

from minishop.data.batches import pad_left, training_batches
from minishop.data.loaders import FORMATS, LoadResult, default_shop_path, load
from minishop.data.prepare import Prepared, prepare
from minishop.data.preprocess import pseudonymise
from minishop.data.report import DataFormatError, PipelineReport, Report
from minishop.data.sampling import popularity, sample_negatives
from minishop.data.shop_sqlite import write_shop_sqlite
from minishop.data.sequences import IdMap, remap_ids, to_sequences
from minishop.data.splits import LeaveOneOutSplit, leave_one_out, temporal_split

__all__ = ["load", "prepare", "Prepared", "LoadResult", "FORMATS", "default_shop_path", "pseudonymise", "pad_left",
           "training_batches", "sample_negatives", "popularity", "IdMap", "remap_ids", "to_sequences",
           "LeaveOneOutSplit", "leave_one_out", "temporal_split", "write_shop_sqlite", "Report", "PipelineReport",
           "DataFormatError"]
