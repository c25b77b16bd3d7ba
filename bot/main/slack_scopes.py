"""The bot scopes the Slack app needs; app_manifest.yml declares exactly these (a test keeps them equal)."""

from __future__ import annotations

BOT_SCOPES = {
    "commands": "slash commands",
    "chat:write": "post order cards and replies",
    "files:write": "put return labels into order threads",
    "usergroups:read": "know who is in APPROVER_USERGROUP (the team leads who approve refunds)",
}
