"""minishop's data layer: load e-commerce data, clean it without losing rows silently, and turn it into
sequences, splits, negatives and padded batches for a sequential recommender.

    from minishop import data
    prepared = data.prepare()                  # the bundled shop, cleaned and split leave-one-out
    print(prepared.report)                     # every dropped row, by step and reason
    batch = data.pad_left([[3, 4, 5], [7]], max_len=4)

Files, one idea each: loaders/ (one reader per format; loaders/table.py reads any delimited or Parquet file
with pandas and finds its bad rows vectorised), report.py (accounting), preprocess.py (cleaning
steps), sequences.py (ids and sequences), splits.py, sampling.py, batches.py, prepare.py (the whole pipeline),
synthetic.py + catalog.py + reviews_text.py (the bundled shop's generator).
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
