"""A fake Slack Web API on 127.0.0.1 for tests and the terminal client.

Point `slack_sdk.WebClient(base_url=fake.url)` at it. It answers with Slack's shapes, keeps messages, views
and files, validates every message and view with `validation.py`, records every call, and can be told to
fail or slow down.

FakeSlack is put together from one piece per concern: state.py (what it holds), serving.py (HTTP, faults,
delays, recording), response_urls.py, inspection.py (what tests read back) and one module per family of
Web API methods (chat_methods, view_methods, file_methods, workspace_methods).
"""

from __future__ import annotations

from .chat_methods import ChatMethods
from .file_methods import FileMethods
from .inspection import Inspection
from .serving import Serving
from .state import WebApiMethod
from .view_methods import ViewMethods
from .workspace_methods import WorkspaceMethods


class FakeSlack(Serving, Inspection, ChatMethods, ViewMethods, FileMethods, WorkspaceMethods):
    """The Slack Web API on an ephemeral 127.0.0.1 port, in a daemon thread. Use as a context manager."""

    def _web_api_methods(self) -> dict[str, WebApiMethod]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
        }
