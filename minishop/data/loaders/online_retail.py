"""Load UCI Online Retail / Online Retail II (CSV export of the Excel sheets).

Columns: InvoiceNo (II: Invoice), StockCode, Description, Quantity, InvoiceDate, UnitPrice (II: Price),
CustomerID (II: Customer ID), Country. An invoice number starting with "C" is a cancellation: its rows get
event "cancel" (their quantity is negative); all other rows are "purchase". Rows without a customer id
cannot be attributed to a user: they are dropped and counted.
"""

import pandas as pd

from minishop.data.loaders.base import (LoadResult, Lines, parse_fields, require_columns, to_float, to_id,
                                        to_int, to_nonnegative, to_time)

ALIASES = {"InvoiceNo": ("Invoice",), "UnitPrice": ("Price",), "CustomerID": ("Customer ID",)}
NEEDED = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")
DATE_FORMATS = ("%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%y %H:%M")


def _customer(text):
    return str(int(to_float(text)))  # "17850.0" and "17850" are the same customer


def load_online_retail(path, errors="raise", encoding="utf-8"):
    """An Online Retail (I or II) CSV at `path` as a LoadResult of purchase/cancel interactions."""
    lines = Lines(path, "load online-retail", errors, encoding)
    header = lines.header()
    col = require_columns(lines, header, NEEDED, ALIASES)
    rows = []
    for line_no, f in lines.rows(len(header)):
        if not f[col["CustomerID"]].strip():
            lines.report.drop("no CustomerID (guest checkout)")
            continue
        values = parse_fields(lines, line_no, [
            ("InvoiceNo", to_id, f[col["InvoiceNo"]], "an invoice number"),
            ("StockCode", to_id, f[col["StockCode"]], "a stock code"),
            ("Quantity", to_int, f[col["Quantity"]], "an integer quantity"),
            ("InvoiceDate", lambda t: to_time(t, DATE_FORMATS), f[col["InvoiceDate"]],
             "a date like 12/1/2010 8:26 or 2010-12-01 08:26:00"),
            ("UnitPrice", to_nonnegative, f[col["UnitPrice"]], "a price >= 0"),
            ("CustomerID", _customer, f[col["CustomerID"]], "a numeric customer id")])
        if values is None:
            continue
        invoice, stock, quantity, when, price, customer = values
        event = "cancel" if invoice.upper().startswith("C") else "purchase"
        rows.append((customer, stock, when, event, invoice, quantity, price, f[col["Description"]],
                     f[col["Country"]]))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "order_id", "quantity", "price",
                                        "description", "country"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    items = (frame[["item", "description"]].rename(columns={"description": "title"})
             .drop_duplicates("item", keep="last").reset_index(drop=True))
    items["category"] = None
    return LoadResult(interactions=frame.drop(columns=["description"]), items=items,
                      report=lines.finish(len(frame)))
