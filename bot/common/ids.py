"""Every action, block and callback id the bot puts into Slack, in one place."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    PICK_ORDER = "order_pick"
    RETURN_MENU = "return_menu"
    RETURN_EMAIL = "return_email"
    RETURN_EMAIL_OTHER = "return_email_other"  # opens the form for another address
    RETURN_VOID = "return_void"
    RETURN_RETRY = "return_retry"
    RETURN_CHECK_BOOKING = "return_check_booking"  # "booking unknown": ask the carrier by the RMA (issue 14)
    RETURN_BOOK_AGAIN = "return_book_again"  # "booking unknown": the agent found no booking, book once more
    SHOW_ORDER = "show_order"
    ORDER_NOTE = "order_note"  # the card's "Full note": a modal with the whole note and its attributes
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
    # a return after its label (bot.lifecycle): on its message, reminders, `/returns` rows and the Home tab
    RETURN_RECEIVE = "return_receive"  # opens the "Mark received" form
    RETURN_REMIND = "return_remind"
    RETURN_SNOOZE = "return_snooze"
    RETURN_CLOSE_KEPT = "return_close_kept"
    RETURN_REFUND_NOW = "return_refund_now"
    # inputs of the "Mark received" form
    RECEIPT_QUANTITY = "receipt_quantity"
    RECEIPT_CONDITION = "receipt_condition"
    RECEIPT_FIELD = "receipt_value"
    # cancelling an order (bot.cancellations): the card's buttons, and the inputs of its modal
    CANCEL_OPEN = "cancel_open"
    CANCEL_FRAUD = "cancel_fraud"  # a HIGH-risk order: the same form, reason fraud chosen
    CANCEL_FIELD = "cancel_value"
    # replacements (bot.replacements): the card's button, the modal's inputs, its variant picker
    REPLACE_OPEN = "replace_open"
    REPLACE_QUANTITY = "replace_quantity"
    REPLACE_VARIANT = "replace_variant"  # an external_select: its options come from the store as the agent types
    EXCHANGE_SHIP_NOW = "exchange_ship_now"  # a team lead ships a return's exchange before the return arrives
    REPLACE_FIELD = "replace_value"


class ReturnMenu(enum.StrEnum):
    """The options of the order card's "Create return" menu."""

    EDIT = "return_edit"
    INSTANT = "return_instant"


class CallbackId(enum.StrEnum):
    RETURN_MODAL = "return_modal"
    RETURN_EMAIL_MODAL = "return_email_modal"
    REFUND_MODAL = "refund_modal"
    REFUND_REJECT_MODAL = "refund_reject_modal"
    RECEIPT_MODAL = "receipt_modal"
    CANCEL_MODAL = "cancel_modal"
    REPLACE_MODAL = "replace_modal"


class BlockId(enum.StrEnum):
    ORDER_HEADER = "order_header"
    ORDER_FACTS = "order_facts"
    ORDER_ITEMS = "order_items"
    ORDER_SHIPPING = "order_shipping"
    ORDER_HISTORY = "order_history"
    ORDER_NOTE = "order_note"  # the note, note attributes and tags
    ORDER_REFUNDS_PENDING = "order_refunds_pending"  # refund requests on their way, not refunded yet
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
    R_EMAIL_TO = "r_email_to"  # the address in the "E-mail label to…" form
    R_CARRIER = "r_carrier"  # the carrier (issue 14)
    R_SERVICE_POINT = "r_service_point"  # the drop-off point, one of the nearest three
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
    # a return after its label (bot.lifecycle)
    LIFECYCLE_ACTIONS = "lifecycle_actions"  # the buttons of a reminder or an escalation
    LIFECYCLE_OUTCOME = "lifecycle_outcome"  # what became of them, once pressed
    RECEIVED_ACTIONS = "received_actions"
    RC_INTRO = "rc_intro"
    RC_NOTE = "rc_note"
    HOME_NOTICE = "home_notice"
    # cancelling an order (bot.cancellations)
    ORDER_RISK = "order_risk"  # Shopify's fraud risk on an unfulfilled order's card
    CANCEL_STATUS = "cancel_status"
    C_INTRO = "c_intro"
    C_REASON = "c_reason"
    C_REFUND = "c_refund"
    C_OPTIONS = "c_options"  # restock, notify the customer
    C_NOTE = "c_note"
    # replacements (bot.replacements, bot.orders.replacement_blocks)
    ORDER_REPLACEMENTS = "order_replacements"  # "replacement for #1001" / "replaced by #1030"
    P_INTRO = "p_intro"
    P_REASON = "p_reason"
    P_NAME = "p_name"
    P_ADDRESS1 = "p_address1"
    P_ADDRESS2 = "p_address2"
    P_ZIP = "p_zip"
    P_CITY = "p_city"
    P_COUNTRY = "p_country"
    P_PHONE = "p_phone"
    P_SHIPPING_TITLE = "p_shipping_title"
    P_NOTE = "p_note"
    P_NOTIFY = "p_notify"


def item_block_id(index: int, field: str) -> str:
    return f"r_item_{index}_{field}"


def pick_block_id(index: int) -> str:
    return f"pick_{index}"


def refund_line_block_id(index: int) -> str:
    return f"f_line_{index}"


def replace_line_block_id(index: int, field: str) -> str:
    """A replacement modal's input of one line: "quantity" or "variant"."""
    return f"p_line_{index}_{field}"


def receipt_block_id(line_item_id: str, field: str) -> str:
    """A "Mark received" input of one item, named by its line item: the form's metadata stays the RMA alone."""
    return f"rc_{field}:{line_item_id}"
