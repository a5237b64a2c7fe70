"""Load UCI Online Retail / Online Retail II (CSV export of the Excel sheets).

Columns: InvoiceNo (II: Invoice), StockCode, Description, Quantity, InvoiceDate, UnitPrice (II: Price),
CustomerID (II: Customer ID), Country. An invoice number starting with "C" is a cancellation: its rows get
event "cancel" (their quantity is negative); all other rows are "purchase". Rows without a customer id
cannot be attributed to a user: they are dropped and counted. The rows are read by pandas and checked a
column at a time (loaders/table.py).
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, require_columns
from minishop.data.loaders.table import read_delimited, text_column

ALIASES = {"InvoiceNo": ("Invoice",), "UnitPrice": ("Price",), "CustomerID": ("Customer ID",)}
NEEDED = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")
DATE_FORMATS = ("%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%y %H:%M")


def parse_dates(text):
    """(N,) strings -> datetimes: ISO 8601, else the first of DATE_FORMATS that fits (NaT if none does)."""
    times = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for date_format in DATE_FORMATS:
        missing = times.isna()
        if not missing.any():
            break
        times = times.where(~missing, pd.to_datetime(text.where(missing, ""), format=date_format, errors="coerce"))
    return times


def load_online_retail(path, errors="raise", encoding="utf-8"):
    """An Online Retail (I or II) CSV at `path` as a LoadResult of purchase/cancel interactions."""
    lines = Lines(path, "load online-retail", errors, encoding)
    table = read_delimited(lines, delimiter=",")
    name = {ours: table.header[i] for ours, i in require_columns(lines, table.header, NEEDED, ALIASES).items()}
    text = {ours: text_column(table.frame[name[ours]]) for ours in NEEDED}
    table.drop_rows((text["CustomerID"] == "").to_numpy(), "no CustomerID (guest checkout)")
    quantity = pd.to_numeric(text["Quantity"].where(text["Quantity"].str.fullmatch(r"[+-]?\d+"), ""), errors="coerce")
    price = pd.to_numeric(text["UnitPrice"], errors="coerce")
    customer = pd.to_numeric(text["CustomerID"], errors="coerce")  # "17850.0" and "17850" are one customer
    when = parse_dates(text["InvoiceDate"])
    for column, bad, expected in (
            ("InvoiceNo", text["InvoiceNo"] == "", "an invoice number"),
            ("StockCode", text["StockCode"] == "", "a stock code"),
            ("Quantity", quantity.isna(), "an integer quantity"),
            ("InvoiceDate", when.isna(), "a date like 12/1/2010 8:26 or 2010-12-01 08:26:00"),
            ("UnitPrice", ~(price >= 0), "a price >= 0"),
            ("CustomerID", customer.isna(), "a numeric customer id")):
        table.fail_rows(bad.to_numpy(dtype=bool), name[column], expected, got=text[column])
    table.frame = pd.DataFrame({"user": customer, "item": text["StockCode"], "timestamp": when,
                                "event": text["InvoiceNo"].str.upper().str.startswith("C").map(
                                    {True: "cancel", False: "purchase"}),
                                "order_id": text["InvoiceNo"], "quantity": quantity, "price": price,
                                "description": table.frame[name["Description"]], "country": text["Country"]})
    frame = table.flush()
    frame["user"] = frame["user"].astype("int64").astype(str)
    frame["quantity"] = frame["quantity"].astype("int64")
    items = (frame[["item", "description"]].rename(columns={"description": "title"})
             .drop_duplicates("item", keep="last").reset_index(drop=True))
    items["category"] = None
    return LoadResult(interactions=frame.drop(columns=["description"]), items=items,
                      report=lines.finish(len(frame)))
