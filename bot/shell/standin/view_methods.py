"""The views.* Web API methods: modals (open, push, update) and the Home tab (publish)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from .arguments import checked_view, require, with_block_ids
from .errors import SlackError
from .payloads import API_APP_ID
from .state import SlackState


class ViewMethods(SlackState):
    """Called with the lock held."""

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._take_trigger(args)
        view = checked_view(args)
        external_id = view.get("external_id")
        if external_id and self._find_view(external_id=external_id):
            raise SlackError("duplicate_external_id")
        self._used_triggers.add(trigger_id)
        return {"view": self._store_view(view)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._take_trigger(args)
        view = checked_view(args)
        self._used_triggers.add(trigger_id)
        return {"view": self._store_view(view)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError("invalid_arguments", "view_id or external_id is required", bug=True)
        current = self._find_view(view_id=args.get("view_id"), external_id=args.get("external_id"))
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = checked_view(args)
        return {"view": self._store_view(view, replacing=current)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A user's Home tab: no trigger needed; one per user, replaced by each publish (hash: optimistic lock)."""
        require(args, "user_id", "view")
        user = str(args["user_id"])
        if user not in self.users:
            raise SlackError("user_not_found")
        view = checked_view(args)
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", "views.publish takes a view of type home", bug=True)
        current = self._views.get(self._homes.get(user, ""))
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, replacing=current)
        self._homes[user] = stored["id"]
        return {"view": stored}

    def _take_trigger(self, args: dict[str, Any]) -> str:
        require(args, "trigger_id", "view")
        if args["trigger_id"] in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        return str(args["trigger_id"])

    def _find_view(self, *, view_id: str | None = None, external_id: str | None = None) -> dict[str, Any] | None:
        if view_id:
            return self._views.get(view_id)
        return next((v for v in self._views.values() if external_id and v.get("external_id") == external_id), None)

    def _store_view(self, view: dict[str, Any], *, replacing: dict[str, Any] | None = None) -> dict[str, Any]:
        # unique across instances, as Slack's are: the bot dedupes form submissions by view id
        view_id = replacing["id"] if replacing else f"V{self._view_prefix}{self._next():06d}"
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": with_block_ids(view["blocks"], view_id),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{1_700_000_000 + self._next()}.{hashlib.sha1(view_id.encode()).hexdigest()[:8]}",
            "title": view.get("title"),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": replacing["previous_view_id"] if replacing else None,
            "root_view_id": replacing["root_view_id"] if replacing else view_id,
            "app_id": API_APP_ID,
            "external_id": view.get("external_id") or (replacing or {}).get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return copy.deepcopy(stored)
