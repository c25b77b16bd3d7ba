"""The files.* Web API methods: Slack's two-step external upload (get an upload URL, then complete)."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from .arguments import require
from .errors import SlackError
from .payloads import TEAM_DOMAIN
from .records import File, Upload
from .state import SlackState


class FileMethods(SlackState):
    """Called with the lock held; the bytes themselves arrive at the upload URL (Serving._handle_upload)."""

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "filename", "length")
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise SlackError(
                "invalid_arguments", f"length must be an integer, got {args['length']!r}", bug=True
            ) from None
        file_id = f"F{self._next():010d}"
        self._uploads[file_id] = Upload(args["filename"], length)
        return {"upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        require(args, "files")
        channels = [c for c in [args.get("channel_id"), *str(args.get("channels") or "").split(",")] if c]
        for channel in channels:
            self._writable_channel(channel)
        wanted = args["files"] if isinstance(args["files"], list) else []
        if not wanted:
            raise SlackError("invalid_arguments", "files must be a JSON list of {id, title}", bug=True)
        shared = [self._complete_file(item, args, channels[0] if channels else None) for item in wanted]
        for channel in channels:
            self._post(
                channel,
                {"text": args.get("initial_comment") or "", "files": shared, "upload": True},
                args.get("thread_ts"),
            )
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _complete_file(self, item: Any, args: dict[str, Any], channel: str | None) -> dict[str, Any]:
        file_id = str(item.get("id") or "") if isinstance(item, dict) else ""
        upload = self._uploads.get(file_id)
        if upload is None or upload.content is None:
            raise SlackError("file_not_found", f"{file_id} was not uploaded to its upload URL", bug=True)
        del self._uploads[file_id]
        title = item.get("title") or upload.filename
        self._files.append(
            File(
                file_id,
                upload.filename,
                title,
                upload.content,
                channel,
                args.get("thread_ts"),
                args.get("initial_comment"),
            )
        )
        return {
            "id": file_id,
            "created": int(time.time()),
            "name": upload.filename,
            "title": title,
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
            "filetype": upload.filename.rpartition(".")[2] if "." in upload.filename else "binary",
            "user": self.bot_user_id,
            "size": len(upload.content),
            "url_private": f"{self.root_url}files/{file_id}/{upload.filename}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{self.bot_user_id}/{file_id}/{upload.filename}",
        }
