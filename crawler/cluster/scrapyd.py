"""A small client for Scrapyd's HTTP JSON API (schedule, listjobs, cancel, addversion).

Standard library only: the node running newswatch needs no Scrapyd packages to
dispatch jobs. Two kinds of failure are kept apart because the runner treats them
differently: :class:`NodeUnreachable` (no answer: the node may be down, try another)
and :class:`NodeRefused` (the node answered with an error, e.g. the project is not
deployed: a configuration problem the user must fix).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

SPIDER = "news"
REQUEST_TIMEOUT = 15.0


class NodeError(Exception):
    """A Scrapyd node request failed; ``str()`` names the node and the reason."""

    def __init__(self, node: str, message: str, *, status: int | None = None) -> None:
        self.node = node
        self.status = status  # the HTTP status, when the node answered with one
        super().__init__(f"Scrapyd node {node}: {message}")


class NodeUnreachable(NodeError):
    """No usable answer (connection refused, timeout, 5xx): the node may be down."""


class NodeRefused(NodeError):
    """The node answered with an error (project or version not deployed, bad auth...)."""


@dataclass
class JobInfo:
    """One job as ``listjobs.json`` reports it."""

    job_id: str
    state: str  # pending | running | finished
    log_url: str | None = None
    items_url: str | None = None
    pid: int | None = None  # the crawl's process id on its node, once running


class ScrapydNode:
    """One Scrapyd server, addressed by its base URL (``http://host:6800``)."""

    def __init__(
        self,
        url: str,
        *,
        username: str = "",
        password: str = "",
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/") + "/"
        self.name = url.rstrip("/")
        self.timeout = timeout
        self._auth: str | None = None
        if username or password:
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self._auth = f"Basic {token}"

    def __repr__(self) -> str:
        return f"ScrapydNode({self.name!r})"

    # ------------------------------------------------------------------ API calls

    def daemon_status(self) -> dict[str, Any]:
        return self._json("GET", "daemonstatus.json")

    def projects(self) -> list[str]:
        return list(self._json("GET", "listprojects.json")["projects"])

    def versions(self, project: str) -> list[str]:
        return list(self._json("GET", "listversions.json", {"project": project})["versions"])

    def spiders(self, project: str, version: str | None = None) -> list[str]:
        params = {"project": project, **({"_version": version} if version else {})}
        return list(self._json("GET", "listspiders.json", params)["spiders"])

    def add_version(self, project: str, version: str, egg: bytes) -> dict[str, Any]:
        """Upload an egg (``addversion.json``)."""
        boundary = uuid.uuid4().hex
        body = _multipart(
            boundary, {"project": project, "version": version}, ("egg", "project.egg", egg)
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        # Scrapyd lists the egg's spiders in a subprocess before answering: allow time.
        return self._json("POST", "addversion.json", body=body, headers=headers, timeout=120.0)

    def schedule(
        self,
        project: str,
        *,
        job_id: str,
        settings: dict[str, str],
        version: str | None = None,
        spider: str = SPIDER,
    ) -> str:
        """Schedule a crawl (``schedule.json``) with ``settings`` as ``-s`` overrides."""
        fields: list[tuple[str, str]] = [
            ("project", project),
            ("spider", spider),
            ("jobid", job_id),
        ]
        if version:
            fields.append(("_version", version))
        fields.extend(("setting", f"{k}={v}") for k, v in settings.items())
        answer = self._json("POST", "schedule.json", body=urlencode(fields).encode("ascii"))
        return str(answer.get("jobid", job_id))

    def jobs(self, project: str) -> dict[str, JobInfo]:
        """Every job the node knows for ``project`` (``listjobs.json``), by id."""
        answer = self._json("GET", "listjobs.json", {"project": project})
        jobs: dict[str, JobInfo] = {}
        for state in ("pending", "running", "finished"):
            for entry in answer.get(state, []):
                jobs[entry["id"]] = JobInfo(
                    entry["id"],
                    state,
                    entry.get("log_url"),
                    entry.get("items_url"),
                    entry.get("pid"),
                )
        return jobs

    def cancel(self, project: str, job_id: str, *, signal: str = "INT") -> str | None:
        """Cancel a job (``cancel.json``): SIGINT asks Scrapy to close gracefully."""
        answer = self._json(
            "POST",
            "cancel.json",
            body=urlencode({"project": project, "job": job_id, "signal": signal}).encode(),
        )
        return answer.get("prevstate")

    def fetch(self, path: str) -> bytes | None:
        """A file the node serves (a job's log or items); None when it is gone (404)."""
        try:
            return self._request("GET", path.lstrip("/"))
        except NodeRefused as exc:
            if exc.status == 404:
                return None
            raise

    # ------------------------------------------------------------------ transport

    def _json(
        self,
        method: str,
        endpoint: str,
        params: dict[str, str] | None = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        path = endpoint + ("?" + urlencode(params) if params else "")
        raw = self._request(method, path, body=body, headers=headers, timeout=timeout)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise NodeUnreachable(self.name, f"{endpoint} answered with non-JSON") from None
        if not isinstance(answer, dict):
            raise NodeUnreachable(self.name, f"{endpoint} answered with unexpected JSON")
        if answer.get("status") != "ok":
            raise NodeRefused(self.name, f"{endpoint}: {answer.get('message', answer)}")
        return answer

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> bytes:
        # Node URLs are checked to be http(s) when the settings are loaded.
        request = Request(urljoin(self.url, path), data=body, method=method)  # noqa: S310
        if body is not None and not (headers and "Content-Type" in headers):
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310
                return bytes(response.read())
        except HTTPError as exc:
            where = path.split("?", 1)[0]
            if exc.code >= 500:
                raise NodeUnreachable(
                    self.name, f"{where}: HTTP {exc.code}", status=exc.code
                ) from None
            hint = (
                " (check cluster.username and NEWSWATCH_CLUSTER_PASSWORD)"
                if exc.code in (401, 403)
                else ""
            )
            raise NodeRefused(
                self.name, f"{where}: HTTP {exc.code}{hint}", status=exc.code
            ) from None
        except (URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NodeUnreachable(self.name, f"{path}: {reason}") from None


def _multipart(boundary: str, fields: dict[str, str], upload: tuple[str, str, bytes]) -> bytes:
    """A multipart/form-data body with text ``fields`` and one file."""
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode("utf-8"),
        ]
    name, filename, data = upload
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode(),
        b"Content-Type: application/octet-stream",
        b"",
        data,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines)
