"""Every action, block and callback id the bot puts into Slack, in one place."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    PICK_ORDER = "order_pick"
    RETURN_MENU = "return_menu"
    RETURN_EMAIL = "return_email"
    RETURN_VOID = "return_void"
    RETURN_RETRY = "return_retry"
    SHOW_ORDER = "show_order"
    # inputs of the return modal
    RETURN_ITEM_QUANTITY = "quantity"
    RETURN_ITEM_REASON = "reason"
    RETURN_FIELD = "value"
    # refunds
    REFUND_OPEN = "refund_open"
    REFUND_APPROVE = "refund_approve"
    REFUND_REJECT = "refund_reject"
    REFUND_RETRY = "refund_retry"
    REFUND_REPOST = "refund_repost"
    # inputs of the refund modal: a change of these recomputes the total
    REFUND_QUANTITY = "refund_quantity"
    REFUND_RECALC = "refund_recalc"
    REFUND_FIELD = "refund_value"


class ReturnMenu(enum.StrEnum):
    """The options of the order card's "Create return" menu."""

    EDIT = "return_edit"
    INSTANT = "return_instant"


class CallbackId(enum.StrEnum):
    RETURN_MODAL = "return_modal"
    REFUND_MODAL = "refund_modal"
    REFUND_REJECT_MODAL = "refund_reject_modal"


class BlockId(enum.StrEnum):
    ORDER_HEADER = "order_header"
    ORDER_FACTS = "order_facts"
    ORDER_ITEMS = "order_items"
    ORDER_SHIPPING = "order_shipping"
    ORDER_HISTORY = "order_history"
    ORDER_FOOTER = "order_footer"
    PICK_HEADER = "pick_header"
    PICK_MORE = "pick_more"
    ORDER_ACTIONS = "order_actions"
    RETURN_STATUS = "return_status"
    RETURN_ACTIONS = "return_actions"
    # return modal inputs, one block per field
    R_NAME = "r_name"
    R_STREET = "r_street"
    R_ZIP = "r_zip"
    R_CITY = "r_city"
    R_COUNTRY = "r_country"
    R_WEIGHT = "r_weight"
    R_DELIVERY = "r_delivery"
    R_PICKUP_DATE = "r_pickup_date"
    R_PICKUP_PHONE = "r_pickup_phone"
    R_EMAIL = "r_email"
    # refund modal
    F_INTRO = "f_intro"
    F_SHIPPING = "f_shipping"
    F_RESTOCK = "f_restock"
    F_TOTAL = "f_total"
    F_AMOUNT = "f_amount"
    F_REASON = "f_reason"
    F_NOTE = "f_note"
    F_NOTIFY = "f_notify"
    F_REJECT_REASON = "f_reject_reason"
    # refund messages
    REFUND_FACTS = "refund_facts"
    REFUND_STATUS = "refund_status"
    REFUND_ACTIONS = "refund_actions"


def item_block_id(index: int, field: str) -> str:
    return f"r_item_{index}_{field}"


def pick_block_id(index: int) -> str:
    return f"pick_{index}"


def refund_line_block_id(index: int) -> str:
    return f"f_line_{index}"
