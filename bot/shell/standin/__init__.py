"""An in-process stand-in for Slack: a fake Web API server, payload builders and request signing.

Used by the tests and by `returnbot shell`, so nothing here may talk to the real Slack.
"""

from .errors import SlackError
from .payloads import (
    API_APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    app_home_opened_body,
    block_actions_payload,
    home_block_actions_payload,
    initial_values,
    interactive_form,
    new_trigger_id,
    slash_command_form,
    state_value,
    view_block_actions_payload,
    view_submission_payload,
)
from .records import Call, File
from .server import FakeSlack
from .signing import signed_headers
from .state import DEFAULT_SCOPES
from .validation import BlockKitError, validate_blocks, validate_message, validate_submission_ack, validate_view

__all__ = [
    "API_APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_SCOPES",
    "TEAM_ID",
    "BlockKitError",
    "Call",
    "FakeSlack",
    "File",
    "SlackError",
    "app_home_opened_body",
    "block_actions_payload",
    "home_block_actions_payload",
    "initial_values",
    "interactive_form",
    "new_trigger_id",
    "signed_headers",
    "slash_command_form",
    "state_value",
    "validate_blocks",
    "validate_message",
    "validate_submission_ack",
    "validate_view",
    "view_block_actions_payload",
    "view_submission_payload",
]
