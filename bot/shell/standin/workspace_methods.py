"""The Web API methods about the workspace and its people: auth.test, users.info, usergroups.users.list."""

from __future__ import annotations

from typing import Any

from .arguments import require
from .errors import SlackError
from .payloads import TEAM_DOMAIN
from .state import SlackState


class WorkspaceMethods(SlackState):
    """Called with the lock held."""

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Returnbot Test",
            "user": self.users.get(self.bot_user_id, {}).get("name", "returnbot"),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "user")
        spec = self.users.get(args["user"])
        if spec is None:
            raise SlackError("user_not_found")
        return {"user": self._user_object(args["user"], spec)}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "usergroup")
        if self.usergroups_plan_upgrade_required:
            raise SlackError("plan_upgrade_required")
        if args["usergroup"] not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[args["usergroup"]])}

    def _user_object(self, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        name = spec.get("name", user_id.lower())
        real_name = spec.get("real_name", name)
        profile = {"display_name": spec.get("display_name", name), "real_name": real_name}
        if spec.get("email"):  # Slack leaves it out without the users:read.email scope
            profile["email"] = spec["email"]
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": spec.get("tz", "Europe/Helsinki"),
            "is_bot": spec.get("is_bot", False),
            "profile": profile,
        }
