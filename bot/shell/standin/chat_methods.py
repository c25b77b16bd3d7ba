"""The chat.* and conversations.* Web API methods: messages, ephemerals, permalinks, channels and threads."""

from __future__ import annotations

import copy
from typing import Any

from .arguments import check_message, message_fields, require
from .errors import SlackError
from .state import SlackState


class ChatMethods(SlackState):
    """Called with the lock held."""

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable_channel(args.get("channel"))
        check_message(args)
        message = self._post(channel, message_fields(args), args.get("thread_ts") or None)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel", "user")
        channel = self._writable_channel(args["channel"])
        check_message(args)
        ts = self._new_ts()
        fields = message_fields(args)
        self._ephemeral.append({"channel": channel, "user": args["user"], "ts": ts, "type": "message", **fields})
        return {"message_ts": ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel", "ts")
        message = self._find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        check_message(args)
        message.update(message_fields(args))
        message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {
            "channel": args["channel"],
            "ts": args["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel", "ts")
        message = self._find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        self._messages[args["channel"]].remove(message)
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel", "message_ts")
        channel = str(args["channel"])
        if channel in self.missing_channels:
            raise SlackError("channel_not_found")
        message = self._find_message(channel, str(args["message_ts"]))
        if message is None:
            raise SlackError("message_not_found")
        url = f"https://example.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
        parent = message.get("thread_ts")
        if parent and parent != message["ts"]:  # a reply: Slack's link opens it in its thread
            url += f"?thread_ts={parent}&cid={channel}"
        return {"channel": channel, "permalink": url}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel")
        return {"channel": self._channel_info(args["channel"])}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "channel", "ts")
        self._channel_info(args["channel"])
        messages = self._thread_messages(args["channel"], args["ts"])
        if not messages:
            raise SlackError("thread_not_found")
        return {"messages": messages, "has_more": False}
