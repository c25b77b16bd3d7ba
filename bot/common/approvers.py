"""Who may approve refunds: the members of APPROVER_USERGROUP, or the users in APPROVER_USER_IDS.

User groups need a paid Slack plan; on a free workspace Slack answers `plan_upgrade_required` and the id
list is used instead. Members are read at most every five minutes: a click must not wait for Slack, and a
team lead removed from the group loses approval within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class Approvers:
    def __init__(
        self,
        usergroup: str = "",
        user_ids: frozenset[str] = frozenset(),
        *,
        clock: Callable[[], float] = time.monotonic,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.usergroup = usergroup
        self.user_ids = user_ids
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._read_at = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.usergroup or self.user_ids)

    def may_approve(self, client: WebClient, user: str) -> bool:
        return user in self.members(client)

    def members(self, client: WebClient) -> frozenset[str]:
        if not self.usergroup:
            return self.user_ids
        with self._lock:  # one read of the group at a time; the others wait for its answer
            if self._members is not None and self._clock() - self._read_at < self._cache_seconds:
                return self._members
            self._members = self._read_group(client)
            self._read_at = self._clock()
            return self._members

    def _read_group(self, client: WebClient) -> frozenset[str]:
        try:
            users = client.usergroups_users_list(usergroup=self.usergroup)["users"]
            return frozenset(str(u) for u in users)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "plan_upgrade_required":
                log.info("user groups need a paid Slack plan: APPROVER_USER_IDS decides who approves")
            else:
                log.warning("could not read the approvers' user group %s (%s)", self.usergroup, error)
            if error != "plan_upgrade_required" and self._members is not None:
                return self._members  # Slack hiccuped: the last known members are better than nobody
            return self.user_ids
