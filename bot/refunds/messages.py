"""Block Kit and words for refund requests: the approval message, the thread replies, the reject modal, and what a
person is told after a click or a submitted form. Pure functions of the request; every customer or shop string is
escaped on its way into mrkdwn."""

from __future__ import annotations

from bot.common.blocks import Block, clip, context, escape, link, plain, section
from bot.common.ids import ActionId, BlockId, CallbackId
from bot.refunds.form import RejectFormMeta
from bot.refunds.kinds import Describer, describer_of
from commands.refund_decisions import Refusal
from commands.refund_form import REASONS
from commands.refunds import AUTO, RefundRequestView, RefundStatus
from domain.money import Money
from domain.refunds import RequestKind, RestockType

REJECT_REASON_MAX = 500
USAGE = (
    "Use `/refund <order> [amount] [currency]`, e.g. `/refund #1001`, `/refund #1001 25.50` or `/refund #1001 25 EUR`."
)
FORGED = "This form could not be read: it is not one the bot opened (or it is from an older version). Open it again."
NOT_POSTED_HERE = "I can't post in this channel: see above."
SAVING = "⏳ Saving the refund request…"
REJECT_TITLE = "Reject refund"
SAY_WHY = "Say why: the agent will read it."


def _refund_done(request: RefundRequestView) -> str:
    store_refund = f" Store refund `{escape(request.store_refund_id)}`." if request.store_refund_id else ""
    notified = " Shopify notifies the customer." if request.notify_customer else ""
    return f"Refunded {_amount(request)} to the customer.{store_refund}{notified}"


def _refund_facts(request: RefundRequestView) -> list[str]:
    return [
        f"*Amount:* {_amount(request)}",
        f"*Items:* {_items(request)}",
        f"*Restock:* {'no' if request.restock is RestockType.NO_RESTOCK else 'yes'} · "
        f"*Notify customer:* {'yes' if request.notify_customer else 'no'}",
        f"*Reason:* {escape(REASONS.get(request.reason, request.reason))}",
    ]


# a refund is spoken of as every other kind is, in words of its own
REFUND_WORDS = Describer(noun="Refund", facts=_refund_facts, done=_refund_done, working="refunding…")


def _words(request: RefundRequestView) -> Describer:
    return REFUND_WORDS if request.kind is RequestKind.REFUND else describer_of(request.kind)


# -- what a person is told -------------------------------------------------------------------------


def refusal_text(refusal: Refusal, request: RefundRequestView) -> str:
    noun = _words(request).noun.lower()
    match refusal:
        case Refusal.POSTED:
            return f"{noun.capitalize()} request #{request.id} is already before the team leads."
        case Refusal.NOT_A_LEAD:
            return f"Only team leads can approve or reject a {noun} request."
        case Refusal.OWN_REQUEST:
            return f"You asked for this {noun}, so another team lead has to decide it."
        case Refusal.NOT_THEIRS:
            return f"Only the agent who asked for this {noun}, or a team lead, can retry it."
        case _:
            return decided_already(request)


def decided_already(request: RefundRequestView) -> str:
    """What the loser of a race (or a late click) is told."""
    by = f" by <@{request.decided_by}>" if request.decided_by and request.decided_by != AUTO else ""
    noun = _words(request).noun
    match request.status:
        case RefundStatus.REJECTED:
            return f"{noun} request #{request.id} was already rejected{by}."
        case RefundStatus.SUCCEEDED:
            return f"{noun} request #{request.id} was already approved{by} and carried out."
        case RefundStatus.EXECUTING:
            return f"{noun} request #{request.id} is being carried out right now (approved{by})."
        case RefundStatus.FAILED:
            return f"{noun} request #{request.id} was approved{by}; it failed and can be retried."
        case RefundStatus.PENDING_APPROVAL:
            return f"{noun} request #{request.id} is still waiting for a team lead."
        case _:
            return f"{noun} request #{request.id} was already approved{by}."


def submitted_text(request: RefundRequestView) -> str:
    """The form's last word: where the request is now."""
    words = _words(request)
    asked = _asked(request)
    match request.status:
        case RefundStatus.PENDING_APPROVAL if request.slack_approval_ts:
            return f"✅ {asked} is with the team leads. The order's thread shows it."
        case RefundStatus.PENDING_APPROVAL:
            return f"⚠️ {asked} is saved but not yet before a team lead: see the thread."
        case RefundStatus.SUCCEEDED:
            return f"✅ {words.done(request)}"
        case RefundStatus.FAILED:
            return f"⚠️ {asked} failed: {escape(request.failure)}\nRetry is in the order's thread."
        case _:
            return f"{asked}: {_short(request)}."


def pending_text(request: RefundRequestView) -> str:
    """A second request for an order that has one open: the open one, and what can be done."""
    noun = _words(request).noun.lower()
    return (
        f"⏳ {escape(request.order_name)} already has an open {noun} request: #{request.id} for {_amount(request)}, "
        f"asked for by <@{request.requested_by}> — {_status(request)}\n"
        f"One {noun} request per order at a time: a team lead decides this one first."
    )


def open_requests_text(requests: tuple[RefundRequestView, ...]) -> str:
    """For a team lead's form: the requests of the order already on their way."""
    lines = [f"• #{r.id}: {_amount(r)} asked for by <@{r.requested_by}> — {_status(r)}" for r in requests[:5]]
    more = f"\n…and {len(requests) - 5} more" if len(requests) > 5 else ""
    return ":warning: *This order has open refund requests:*\n" + "\n".join(lines) + more


# -- the approval message --------------------------------------------------------------------------


def refund_facts(request: RefundRequestView, *, customer: str, thread_link: str | None) -> Block:
    """The facts of a request, built once when it is posted and kept through every update."""
    order_label = f"Order {request.order_name}"
    order_text = link(thread_link, order_label) if thread_link else escape(order_label)
    words = _words(request)
    lines = [
        f"*{words.noun} request #{request.id}* — {order_text} — {escape(customer) or '_no customer name_'}",
        *words.facts(request),
    ]
    if request.note:
        lines.append(f"*Note:* {escape(request.note)}")
    lines.append(f"*Requested by* <@{request.requested_by}>")
    return section(clip("\n".join(lines), 3000), BlockId.REFUND_FACTS)


def approval_message(
    request: RefundRequestView, facts: Block, *, approvers_known: bool = True
) -> tuple[str, list[Block]]:
    """The message in the approvals channel, for the request's current state."""
    blocks: list[Block] = [facts, context(_status(request), BlockId.REFUND_STATUS)]
    if request.status is RefundStatus.PENDING_APPROVAL:
        if not approvers_known:
            blocks.append(
                context(
                    ":warning: No team leads are configured (APPROVER_USERGROUP or APPROVER_USER_IDS):"
                    " nobody can approve this yet."
                )
            )
        blocks.append(_buttons(request, approve=True))
    elif request.status is RefundStatus.FAILED:
        blocks.append(_buttons(request, retry=True))
    noun = _words(request).noun
    text = f"{noun} request #{request.id}: {escape(request.order_name)}, {_amount(request)} — {_short(request)}"
    return text, blocks


def thread_message(request: RefundRequestView, *, approvals_channel: str = "") -> tuple[str, list[Block]]:
    """The reply in the order's thread for the request's current state."""
    text = _thread_text(request, approvals_channel)
    blocks: list[Block] = [section(text, BlockId.REFUND_STATUS)]
    if request.status is RefundStatus.FAILED:
        blocks.append(_buttons(request, retry=True))
    return text, blocks


def not_posted_message(request: RefundRequestView, reason: str) -> tuple[str, list[Block]]:
    """The request is saved but could not be put before a team lead: say why, offer to post it again.
    `reason` is mrkdwn of the bot's own."""
    text = (
        f":warning: {_words(request).noun} request #{request.id} ({_amount(request)}) is saved, but I couldn't post it "
        f"for approval: {reason}. Fix that, then press *Post for approval*."
    )
    button = {
        "type": "button",
        "action_id": ActionId.REFUND_REPOST,
        "value": str(request.id),
        "text": plain("Post for approval", 75),
    }
    return text, [
        section(text, BlockId.REFUND_STATUS),
        {"type": "actions", "block_id": BlockId.REFUND_ACTIONS, "elements": [button]},
    ]


def reject_modal(request: RefundRequestView) -> Block:
    noun = _words(request).noun.lower()
    return {
        "type": "modal",
        "callback_id": CallbackId.REFUND_REJECT_MODAL,
        "title": plain(f"Reject {noun}", 24),
        "submit": plain("Reject", 24),
        "close": plain("Cancel", 24),
        "private_metadata": RejectFormMeta(request.id).to_json(),
        "blocks": [
            section(
                f"Reject {noun} request #{request.id}: {escape(request.order_name)}, {_amount(request)}, "
                f"asked for by <@{request.requested_by}>."
            ),
            {
                "type": "input",
                "block_id": BlockId.F_REJECT_REASON,
                "label": plain("Why? The agent will read it.", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.REFUND_FIELD,
                    "multiline": True,
                    "max_length": REJECT_REASON_MAX,
                },
            },
        ],
    }


# -- internals -------------------------------------------------------------------------------------


def _amount(request: RefundRequestView) -> str:
    return escape(str(Money(request.amount, request.currency)))


def _items(request: RefundRequestView) -> str:
    parts = [f"{li.quantity} × {escape(li.name or li.line_item_id)}" for li in request.lines]
    if request.shipping:
        parts.append(f"shipping {escape(str(Money(request.shipping, request.currency)))}")
    if not parts:
        return "none: an amount on its own"
    return clip(", ".join(parts), 1500)


def _asked(request: RefundRequestView) -> str:
    return f"{_words(request).noun} request #{request.id} ({_amount(request)})"


def _short(request: RefundRequestView) -> str:
    return request.status.value.replace("_", " ")


def _by(request: RefundRequestView) -> str:
    if request.decided_by == AUTO:
        return "within the auto-approve limit"
    return f"by <@{request.decided_by}>" if request.decided_by else ""


def _status(request: RefundRequestView) -> str:
    words = _words(request)
    match request.status:
        case RefundStatus.PENDING_APPROVAL:
            return "⏳ Waiting for a team lead."
        case RefundStatus.APPROVED | RefundStatus.EXECUTING:
            return f"⏳ Approved {_by(request)}, {words.working}"
        case RefundStatus.SUCCEEDED:
            return f"✅ Approved {_by(request)}. {words.done(request)}"
        case RefundStatus.REJECTED:
            return f"🚫 Rejected {_by(request)}: {escape(request.reject_reason)}"
        case _:
            return f"⚠️ Approved {_by(request)}, but it failed: {escape(request.failure)}"


def _thread_text(request: RefundRequestView, approvals_channel: str) -> str:
    words = _words(request)
    asked = _asked(request)
    match request.status:
        case RefundStatus.PENDING_APPROVAL:
            where = f" in <#{approvals_channel}>" if approvals_channel else ""
            return f"⏳ {asked} from <@{request.requested_by}>: waiting for a team lead's approval{where}."
        case RefundStatus.APPROVED | RefundStatus.EXECUTING:
            return f"⏳ {asked} approved {_by(request)}: {words.working}"
        case RefundStatus.SUCCEEDED:
            return f"✅ {words.done(request)}\n_Approved {_by(request)}._"
        case RefundStatus.REJECTED:
            why = escape(request.reject_reason)
            return f"🚫 {asked} from <@{request.requested_by}> was rejected {_by(request)}: {why}"
        case _:
            return (
                f"⚠️ {asked} (approved {_by(request)}) failed: {escape(request.failure)}\n"
                "*Retry* sends it again; it can never be made twice."
            )


def _buttons(request: RefundRequestView, *, approve: bool = False, retry: bool = False) -> Block:
    value = str(request.id)
    elements: list[Block] = []
    if approve:
        elements += [
            {
                "type": "button",
                "action_id": ActionId.REFUND_APPROVE,
                "value": value,
                "style": "primary",
                "text": plain("Approve", 75),
            },
            {
                "type": "button",
                "action_id": ActionId.REFUND_REJECT,
                "value": value,
                "style": "danger",
                "text": plain("Reject", 75),
            },
        ]
    if retry:
        elements.append(
            {"type": "button", "action_id": ActionId.REFUND_RETRY, "value": value, "text": plain("Retry", 75)}
        )
    return {"type": "actions", "block_id": BlockId.REFUND_ACTIONS, "elements": elements}
