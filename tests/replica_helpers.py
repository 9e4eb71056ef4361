"""Starting the loopback replica server and running newswatch in a subprocess, for tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.config import Source
from crawler.replica.site import ReplicaState

PARAGRAPHS = [
    "Theo Bộ Khoa học và Công nghệ, chương trình hỗ trợ doanh nghiệp đổi mới sáng tạo sẽ được "
    "triển khai tại 20 tỉnh, thành phố trong năm tới với tổng kinh phí khoảng 300 tỷ đồng.",
    "Các chuyên gia cho rằng việc chia sẻ dữ liệu giữa các cơ quan nhà nước là điều kiện tiên "
    "quyết để xây dựng chính phủ số, đồng thời giúp người dân tiết kiệm thời gian làm thủ tục.",
    "Đại diện nhóm nghiên cứu cho biết hệ thống đã được thử nghiệm trong sáu tháng tại ba bệnh "
    "viện tuyến tỉnh, cho kết quả chính xác hơn 90% trong việc phân loại hồ sơ bệnh án.",
    "Trong thời gian tới, đơn vị sẽ phối hợp với các trường đại học để đào tạo nguồn nhân lực "
    "chất lượng cao, đáp ứng yêu cầu của quá trình chuyển đổi số quốc gia.",
]


def sample_article(
    n: int, *, title: str | None = None, hours_ago: float = 2.0, **extra: Any
) -> dict[str, Any]:
    """A plausible Vietnamese article for a replica site (distinct text per ``n``)."""
    return {
        "title": title
        or f"Tin khoa học công nghệ số {n}: chương trình đổi mới sáng tạo giai đoạn {n}",
        "summary": f"Bài viết số {n} giới thiệu kết quả mới của chương trình khoa học công nghệ năm nay.",
        "paragraphs": [f"{p} (Mã bài {n}.)" for p in PARAGRAPHS],
        "authors": ["Minh Anh"],
        "language": "vi",
        "section": "Khoa học công nghệ",
        "published_at": (datetime.now(UTC) - timedelta(hours=hours_ago + n / 10)).isoformat(),
        **extra,
    }


@dataclass
class Replica:
    base_url: str
    state: ReplicaState
    state_file: Path
    process: subprocess.Popen[str]

    @property
    def mirrors(self) -> list[str]:
        return self.state.mirrors(self.base_url)

    def mirror_args(self) -> list[str]:
        return [arg for m in self.mirrors for arg in ("--mirror", m)]

    def _call(self, path: str, data: dict[str, Any] | None = None) -> Any:
        body = (
            json.dumps(data).encode()
            if data is not None
            else (b"" if path.endswith("reset") else None)
        )
        request = urllib.request.Request(
            self.base_url + path, data=body, method="POST" if body is not None else "GET"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def server_state(self) -> ReplicaState:
        """The state as the server has it now (articles published since start included)."""
        return ReplicaState.from_json(self._call("/_admin/state"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("/_admin/requests"))

    def reset(self) -> None:
        self._call("/_admin/reset")

    def publish(self, host: str, article: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("/_admin/publish", {"host": host, "article": article}))

    def set_faults(self, host: str, faults: dict[str, str]) -> None:
        """Replace a site's faults (see crawler.replica.faults); ``{}`` heals it."""
        self._call("/_admin/faults", {"host": host, "faults": faults})


@contextmanager
def replica_server(state: ReplicaState, workdir: Path) -> Iterator[Replica]:
    state_file = workdir / "replica-state.json"
    state.save(state_file)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.replica.server", "--state", str(state_file)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"replica server did not start: {line!r}")
        yield Replica(line.split()[1], state, state_file, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_test_config(workdir: Path, sources_toml: str, **sections: dict[str, Any]) -> Path:
    """A newswatch.toml for fast, polite-enough loopback crawls, plus its sources.toml."""
    settings: dict[str, dict[str, Any]] = {
        "storage": {"path": str(workdir / "newswatch.db")},
        "crawl": {
            "download_delay": 0.0,
            "download_timeout": 10.0,
            "timeout": 120.0,
            "parallel_sources": 3,
            "retries": 0,
            "log_dir": str(workdir / "logs"),
        },
        "digest": {"output_dir": str(workdir / "digests")},
    }
    for name, values in sections.items():
        settings.setdefault(name, {}).update(values)
    lines = []
    for section, values in settings.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in values.items())
    (workdir / "sources.toml").write_text(sources_toml, encoding="utf-8")
    from crawler.config import packaged_default

    (workdir / "topics.toml").write_text(
        packaged_default("topics.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    config = workdir / "newswatch.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def newswatch(
    *args: str, timeout: float = 180, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"newswatch {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def sources_subset(ids: Sequence[str]) -> tuple[str, list[Source]]:
    """The packaged sources.toml blocks for ``ids``, as TOML text and Source objects."""
    import tomllib

    from crawler.config import load_sources, packaged_default

    path = packaged_default("sources.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    chosen = {i: data["sources"][i] for i in ids}
    lines = []
    for sid, block in chosen.items():
        lines.append(f"[sources.{sid}]")
        for key, value in block.items():
            if isinstance(value, dict):
                continue
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    text = "\n".join(lines) + "\n"
    all_sources = load_sources(path)
    return text, [all_sources[i] for i in ids]
