"""Marg's item master as `MargMST2017` answers it, and the order lines `InsertOrderDetail` takes.

From Marg's developer guide (margstudio.info, MobileAppSolution): `POST /api/eOnlineData/MargMST2017` with
`{"CompanyCode", "MargID", "Datetime", "Index"}`, a blank `Datetime` answering all data and
`2017-01-14 13:53:20` only what changed since; `Index` defaults to 0; product rows carry `Rid`, `CatCode`, `Code`,
`Name`, `Stock` (numeric 15,3), `Company`, `MRP`. From public client code (not Marg's): the rows under
`Details.pro_N` with lower-case keys (`rid`, `code`, `stock` as text), `Status` spelled "Sucess", `Datastatus`,
`DateTime`, "No Record Found" on an empty delta, and `InsertOrderDetail` taking one order line per call (the lines
of one order share its `OrderID`, every field as text) and answering `Details.OrderDetails[{OrderID, OrderNo}]`.

Assumptions: `Datetime` is read in IST (India) and includes changes at that second; `Index` is the page number of
`page_size` rows, oldest change first, with `Datastatus` "Pending" and the next `Index` while more remain; `Rid`
is a row version Marg renews on every change of the row; the answer is plain JSON (Marg encrypts and compresses
its answers with the company's key: see the app's notes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.marg.data import MargData
from connectors.sandbox.vendor_api import VendorError

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
MARG_TIME = "%Y-%m-%d %H:%M:%S"
SUCCESS = "Sucess"  # Marg's own spelling, as clients see it
ORDER_FIELDS = ("OrderID", "CustomerID", "ProductCode", "Quantity")


def marg_error(status: int, message: str) -> VendorError:
    """Marg's answer for a refused call (assumption: the `Details` envelope with `Status` Failure)."""
    return VendorError(status, {"Details": {"Status": "Failure", "Message": message}})


def marg_now() -> str:
    return dt.datetime.now(IST).strftime(MARG_TIME)


def field_of(body: dict[str, Any], name: str) -> Any:
    """A body field by name without regard to case (`Index`/`index`, `MargID`/`Margid` both occur)."""
    lowered = name.lower()
    return next((value for key, value in body.items() if key.lower() == lowered), None)


def upsert_product(data: MargData, row: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """Create or change an item; every change gets a new `rid` and moves its change time to `at`."""
    code = str(row["code"])
    product = data.products.get(code) or {
        "rid": "", "catcode": "Z1", "code": code, "name": code, "stock": "0.000", "remark": "",
        "company": "Sandbox Brands", "shopcode": "", "MRP": "0.00", "Rate": "0.00", "Is_Deleted": "0",
    }  # fmt: skip
    if "name" in row:
        product["name"] = str(row["name"])
    if "stock" in row:
        product["stock"] = f"{float(row['stock']):.3f}"
    if "mrp" in row:
        product["MRP"] = f"{float(row['mrp']):.2f}"
    if "deleted" in row:
        product["Is_Deleted"] = "1" if row["deleted"] else "0"
    data.next_rid += 1
    product["rid"] = str(data.next_rid)
    data.products[code] = product
    data.changed_at[code] = at
    return dict(product)


def master_page(data: MargData, since: str, index: int, page_size: int) -> dict[str, Any]:
    """One `Index` of the rows changed since `since` (blank: every row)."""
    try:
        start = dt.datetime.strptime(since, MARG_TIME).replace(tzinfo=IST) if since else None
    except ValueError:
        raise marg_error(400, "Invalid Datetime format, expected yyyy-MM-dd HH:mm:ss") from None
    codes = sorted(
        (code for code, at in data.changed_at.items() if start is None or at >= start),
        key=lambda code: (data.changed_at[code], int(data.products[code]["rid"])),
    )
    if not codes:
        return {"Details": {"pro_N": [], "Party": [], "Status": "No Record Found", "Message": "No Record Found",
                            "DateTime": marg_now(), "Datastatus": "Completed", "Index": str(index)}}  # fmt: skip
    rows = [dict(data.products[code]) for code in codes[index * page_size : (index + 1) * page_size]]
    more = (index + 1) * page_size < len(codes)
    return {"Details": {
        "pro_N": rows, "Party": [], "Status": SUCCESS, "Message": "", "DateTime": marg_now(),
        "Datastatus": "Pending" if more else "Completed", "Index": str(index + 1 if more else index),
    }}  # fmt: skip


def insert_order_line(data: MargData, body: dict[str, Any]) -> dict[str, Any]:
    """Record one order line; the first line of an `OrderID` gives the order its Marg number."""
    missing = [name for name in ORDER_FIELDS if not str(field_of(body, name) or "").strip()]
    if missing:
        raise marg_error(400, f"Required field(s) missing: {', '.join(missing)}")
    code = str(field_of(body, "ProductCode"))
    if code not in data.products:
        raise marg_error(400, f"Product {code} not found")
    try:
        float(str(field_of(body, "Quantity")))
    except ValueError:
        raise marg_error(400, "Quantity must be numeric") from None
    order_id = str(field_of(body, "OrderID"))
    order_no = data.orders.setdefault(order_id, f"SO/{len(data.orders) + 1:05d}")
    data.order_lines.append(dict(body))
    return {"Details": {"OrderDetails": [{"OrderID": order_id, "OrderNo": order_no}],
                        "CustomerID": str(field_of(body, "CustomerID")), "Status": SUCCESS,
                        "Message": "Order Inserted Successfully"}}  # fmt: skip
