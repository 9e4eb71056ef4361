"""Insert-with-dedupe cost per article as the database grows (prints, never asserts).

    python benchmarks/bench_dedupe.py [--sizes 10000,100000] [--batch 500] [--dir PATH]

For each size N a database is filled with N articles (bulk-loaded for speed, but each
with its real signature and LSH bands from crawler.dedupe.prepare, computed on all
cores), then new articles are stored the way the pipeline does it, ``upsert_article``
followed by ``Deduper.assign``, timed per article; the sizes take turns so that other
load on the machine affects them alike. One new article in ten is a lightly edited copy
of a stored one, so the candidate/verify path runs too.

Articles are synthetic Vietnamese (~3-5 KB) from a phrase generator: named subjects and
set phrases recur across articles as in real coverage. Two unrelated synthetic articles
share more shingles (mean Jaccard ~0.014) than two real different stories of the
evaluation set (~0.003), so the LSH index sees more chance collisions than it would in
production: a pessimistic load. The "cands" column counts, per new article, the stored
articles sharing at least one bucket (before the caps of crawler.dedupe apply).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.config import DedupeSettings
from crawler.dedupe import Deduper, IndexParams, Prepared, band_buckets, prepare
from crawler.models import Article
from storage import articles, connect, stories, write_transaction
from storage.articles import content_hash
from storage.stories import DedupeRow


def _items(block: str, sep: str = "\n") -> list[str]:
    return [item.strip() for item in block.split(sep) if item.strip()]


# Named subjects, stock verbs and set phrases: they recur across articles, as in real
# coverage. Most of each sentence is drawn from WORDS, so most 5-word shingles are rare.
SUBJECTS = _items("""
Bộ Khoa học và Công nghệ
Thủ tướng Chính phủ
UBND TP.HCM
Bộ Thông tin và Truyền thông
Viện Công nghệ thông tin
nhóm nghiên cứu trẻ
các doanh nghiệp khởi nghiệp
Tập đoàn viễn thông
Hiệp hội Phần mềm
Đại học Quốc gia Hà Nội
Sở Khoa học và Công nghệ
các chuyên gia quốc tế
Ngân hàng Nhà nước
Bộ Giáo dục và Đào tạo
Quốc hội
cộng đồng mã nguồn mở
Bộ Công an
Trung tâm Đổi mới sáng tạo quốc gia
nhiều địa phương
các trường đại học kỹ thuật
""")
VERBS = _items("""
vừa công bố
đã ký kết
đang triển khai
kiến nghị
đề xuất
thử nghiệm
đánh giá cao
lên kế hoạch phát triển
hoàn thiện
đưa vào vận hành
tổ chức hội thảo về
cảnh báo về
ban hành hướng dẫn về
đầu tư mạnh vào
kêu gọi hợp tác trong
chia sẻ kinh nghiệm về
""")
OBJECTS = _items("""
mô hình ngôn ngữ lớn tiếng Việt
hạ tầng tính toán hiệu năng cao
trí tuệ nhân tạo nguồn mở
chuyển đổi số quốc gia
dữ liệu mở của cơ quan nhà nước
trung tâm dữ liệu
an toàn thông tin
trợ lý ảo cho cán bộ
nhận dạng giọng nói
chip bán dẫn
dịch vụ công trực tuyến
điện toán đám mây
công cụ phát hiện tin giả
khung pháp lý cho AI
đào tạo nhân lực số
thành phố thông minh
""")
TAILS = _items("""
trong năm 2026
giai đoạn 2026-2030
tại Hà Nội
tại TP.HCM
với tổng vốn {n} tỷ đồng
cho {n} doanh nghiệp
theo giấy phép mở
nhằm nâng cao năng lực cạnh tranh
với sự tham gia của {n} đơn vị
để phục vụ người dân và doanh nghiệp
sau {n} tháng thí điểm
""")
CONNECTORS = _items(
    "Theo đó, | Bên cạnh đó, | Đáng chú ý, | Ngoài ra, | Trước đó, | Tuy nhiên,", "|"
)
QUOTES = [
    "“Chúng tôi cam kết công khai toàn bộ kết quả để cộng đồng cùng kiểm chứng”, {who} nói.",
    "Theo {who}, thách thức lớn nhất hiện nay là nguồn nhân lực chất lượng cao.",
    "{who} cho rằng cần sớm hoàn thiện cơ chế thử nghiệm có kiểm soát.",
]
FAMILY = _items("Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Ngô", " ")
GIVEN = _items("Văn Hùng, Thị Lan, Minh Đức, Quốc Bảo, Thu Hà, Hải Nam, Ngọc Ánh, Gia Huy", ",")
SOURCES = _items(
    "mst vietnamvn baochinhphu vnexpress vietnamplus vietnamnet nhandan tuoitre dantri nld", " "
)
WORDS = _items(
    """công nghệ, dữ liệu, hạ tầng, doanh nghiệp, người dân, chính sách, nghiên cứu,
    phát triển, ứng dụng, sản phẩm, thị trường, đầu tư, nhân lực, đào tạo, giáo dục, y tế,
    nông nghiệp, giao thông, môi trường, năng lượng, tài chính, ngân hàng, bảo mật, an ninh,
    mạng lưới, thiết bị, phần mềm, phần cứng, máy chủ, điện toán, lưu trữ, xử lý, phân tích,
    dự báo, tự động, thông minh, hiệu quả, chất lượng, tiêu chuẩn, quy định, pháp luật,
    thủ tục, hành chính, dịch vụ, trực tuyến, kết nối, chia sẻ, hợp tác, quốc tế, khu vực,
    địa phương, trung ương, thành phố, cộng đồng, chuyên gia, kỹ sư, sinh viên, giảng viên,
    lãnh đạo, cán bộ, công chức, hội nghị, hội thảo, diễn đàn, triển lãm, chương trình,
    dự án, đề án, kế hoạch, chiến lược, mục tiêu, kết quả, thành tựu, thách thức, khó khăn,
    cơ hội, tiềm năng, lợi thế, nguồn lực, ngân sách, kinh phí, chi phí, giá trị, doanh thu,
    lợi nhuận, tăng trưởng, quy mô, tốc độ, thời gian, tiến độ, giai đoạn, mô hình,
    thuật toán, ngôn ngữ, hình ảnh, giọng nói, văn bản, câu hỏi, trả lời, tóm tắt, dịch thuật,
    nhận dạng, phát hiện, cảnh báo, rủi ro, sự cố, lỗ hổng, tấn công, phòng chống, ngăn chặn,
    khắc phục, minh bạch, trách nhiệm, đạo đức, riêng tư, bản quyền, giấy phép, mã nguồn,
    cộng tác, đóng góp, thử nghiệm, vận hành, triển khai, mở rộng, nâng cấp, cải tiến,
    đổi mới, sáng tạo, khởi nghiệp, vườn ươm, đối tác, khách hàng, người dùng, trải nghiệm,
    giao diện, nền tảng, sinh thái, cung ứng, sản xuất, chế tạo, lắp ráp, linh kiện, bán dẫn,
    vi mạch, cảm biến, máy bay, vệ tinh, viễn thông, băng thông, tần số, cáp quang,
    điện thoại, máy tính, học sinh, phụ huynh, giáo viên, bệnh viện, bác sĩ, bệnh nhân,
    nông dân, ngư dân, công nhân, hiện đại, bền vững, toàn diện, đồng bộ, cụ thể, nhanh chóng,
    tích cực, chủ động, linh hoạt, an toàn, ổn định, rõ ràng, cần thiết, quan trọng, mới nhất,
    đầu tiên, hàng đầu, phổ biến, đáng kể, mạnh mẽ, hiệu năng, tiết kiệm, chính xác, tin cậy""",
    ",",
)
FUNCTION_WORDS = _items("và các những của cho đã sẽ đang được có không rất", " ")
PREPOSITIONS = _items("cho | trong | về | với | tại | của | đối với | nhằm | phục vụ | để", "|")
START = datetime(2025, 1, 1, tzinfo=UTC)


def _phrase(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    if len(words) > 1 and rng.random() < 0.5:
        words.insert(rng.randrange(1, len(words)), rng.choice(FUNCTION_WORDS))
    return " ".join(words)


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.08:
        who = f"ông {rng.choice(FAMILY)} {rng.choice(GIVEN)}"
        return rng.choice(QUOTES).format(who=who)
    # Named subjects, stock verbs and set phrases in some sentences; free wording elsewhere.
    subject = rng.choice(SUBJECTS) if rng.random() < 0.3 else _phrase(rng)
    verb = rng.choice(VERBS) if rng.random() < 0.3 else rng.choice(FUNCTION_WORDS[5:])
    parts = [subject, verb, rng.choice(OBJECTS) if rng.random() < 0.2 else _phrase(rng)]
    for _ in range(rng.randint(1, 3)):
        parts += [rng.choice(PREPOSITIONS), _phrase(rng)]
    if rng.random() < 0.2:
        parts.append(rng.choice(TAILS).format(n=rng.randint(2, 5000)))
    text = " ".join(parts)
    connector = rng.choice(CONNECTORS) if rng.random() < 0.3 else ""
    text = f"{connector} {text}" if connector else text[0].upper() + text[1:]
    return text + "."


def synthetic_text(rng: random.Random) -> str:
    """6-9 paragraphs of 3-5 sentences: ~3-5 KB of plausible Vietnamese news prose."""
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(6, 9))
    ]
    return "\n\n".join(paragraphs)


def light_edit(text: str, rng: random.Random) -> str:
    """A syndicated copy: agency dateline, one paragraph dropped, a source line added."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 4:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    paragraphs[0] = "(Dân trí) - " + paragraphs[0]
    return "\n\n".join([*paragraphs, "Theo TTXVN"])


def synthetic_article(number: int, rng: random.Random, text: str | None = None) -> Article:
    body = text if text is not None else synthetic_text(rng)
    return Article(
        url=f"https://bench.example/{rng.choice(SOURCES)}/bai-{number}.htm",
        source=rng.choice(SOURCES),
        title=_sentence(rng)[:120],
        text=body,
        published_at=START + timedelta(minutes=7 * number),
        language="vi",
    )


def _make(number: int) -> tuple[Article, Prepared]:
    """Article ``number`` and its real signature and bands (runs in a worker process)."""
    item = synthetic_article(number, random.Random(number))
    row = DedupeRow(0, item.url, None, item.title, item.text, content_hash(item), None, (), 0, None)
    return item, prepare(row, IndexParams.from_settings(DedupeSettings()))


def bulk_load(db_path: Path, start: int, stop: int, pool: multiprocessing.pool.Pool) -> float:
    """Store articles start..stop-1 with their real signatures and bands; seconds taken.

    Workers generate and sign articles while this process writes them.
    """
    db = connect(db_path)
    # Loading only: a large page cache and sorted index inserts. The timed batches use
    # the connection exactly as newswatch opens it.
    db.execute("PRAGMA cache_size = -262144")
    began = time.perf_counter()
    made = pool.imap(_make, range(start, stop), chunksize=50)
    chunk = 2000
    for low in range(start, stop, chunk):
        sig_rows, band_rows = [], []
        with write_transaction(db):
            for _ in range(low, min(stop, low + chunk)):
                item, p = next(made)
                article_id = articles.upsert_article(db, item, now=item.published_at).id
                sig_rows.append(
                    (article_id, p.content_hash, p.tokens, p.hashvalues, "new-story", "bulk")
                )
                band_rows.extend((band, bucket, article_id) for band, bucket in p.buckets)
            db.conn.executemany(
                "INSERT INTO dedupe_signatures(article_id, content_hash, tokens, hashvalues, "
                "reason, assigned_at) VALUES (?, ?, ?, ?, ?, ?)",
                sig_rows,
            )
            band_rows.sort()
            db.conn.executemany(
                "INSERT INTO dedupe_bands(band, bucket, article_id) VALUES (?, ?, ?)", band_rows
            )
        if (low + chunk) % 10000 == 0 or low + chunk >= stop:
            print(f"  loaded {min(stop, low + chunk)} articles", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed


def build_databases(folder: Path, sizes: list[int], workers: int) -> list[Path]:
    """One database per size; each larger one starts as a copy of the previous."""
    paths: list[Path] = []
    loaded = 0
    with multiprocessing.Pool(workers) as pool:
        for size in sizes:
            path = folder / f"bench-{size}.db"
            if path.exists():
                raise SystemExit(f"{path} exists; give an empty --dir")
            if paths:
                shutil.copyfile(paths[-1], path)  # closed connections: no WAL left behind
            else:
                connect(path).close()
            took = bulk_load(path, loaded, size, pool) if size > loaded else 0.0
            print(
                f"  {size} articles stored ({(size - loaded) / max(took, 1e-9):.0f}/s)",
                file=sys.stderr,
                flush=True,
            )
            loaded = size
            paths.append(path)
    return paths


class TimedStore:
    """One database of a given size, receiving new articles through upsert + assign."""

    def __init__(self, db_path: Path, settings: DedupeSettings, seed: int) -> None:
        self.db_path = db_path
        self.db = connect(db_path)
        self.deduper = Deduper(self.db, settings)
        self.params = self.deduper.index_params()
        self.rng = random.Random(seed)
        self.stored = int(self.db.execute("SELECT max(id) FROM articles").fetchone()[0])
        self.times: dict[str, list[float]] = {"upsert": [], "assign": [], "total": []}
        self.reasons: list[str] = []
        self.candidates: list[int] = []

    def store_one(self, number: int, copy: bool) -> None:
        """Store article ``number`` (a light edit of a stored one if ``copy``), timed."""
        if copy:
            source_id = self.rng.randint(1, self.stored)
            text = self.db.execute("SELECT text FROM articles WHERE id = ?", [source_id]).fetchone()
            item = synthetic_article(number, self.rng, light_edit(text[0], self.rng))
        else:
            item = synthetic_article(number, self.rng)
        t0 = time.perf_counter()
        result = articles.upsert_article(self.db, item)
        t1 = time.perf_counter()
        assignment = self.deduper.assign(result.id)
        t2 = time.perf_counter()
        self.times["upsert"].append((t1 - t0) * 1000)
        self.times["assign"].append((t2 - t1) * 1000)
        self.times["total"].append((t2 - t0) * 1000)
        self.reasons.append(assignment.reason)
        # Outside the timing: how many stored articles shared a bucket (LSH candidates).
        signature = stories.stored_signature(self.db, result.id)
        if signature is not None and signature.hashvalues is not None:
            values = np.frombuffer(signature.hashvalues, dtype="<u4")
            buckets = band_buckets(values, self.params.bands, self.params.rows)
            found = stories.candidates(
                self.db, buckets, exclude=result.id, limit=10**9, per_bucket=10**9
            )
            self.candidates.append(len(found))

    def summary(self, copies_made: int) -> dict[str, object]:
        db, path = self.db, self.db_path
        size = path.stat().st_size + sum(
            p.stat().st_size for p in path.parent.glob(path.name + "-wal")
        )
        result = {
            **self.times,
            "copies_found": self.reasons.count("near-duplicate"),
            "copies_made": copies_made,
            "candidates": statistics.fmean(self.candidates) if self.candidates else 0.0,
            "db_mb": size / 1e6,
            "bands": int(db.execute("SELECT count(*) FROM dedupe_bands").fetchone()[0]),
            "tables": table_sizes(db),
        }
        db.close()
        return result


def table_sizes(db: object) -> dict[str, float]:
    """MB per table and index (SQLite's dbstat), largest first; empty if not compiled in."""
    try:
        rows = db.execute(  # type: ignore[attr-defined]
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except Exception:  # dbstat is an optional SQLite extension
        return {}
    return {name: size / 1e6 for name, size in rows}


def _stats(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return (
        statistics.fmean(ordered),
        statistics.median(ordered),
        ordered[int(0.95 * (len(ordered) - 1))],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored-article counts, ascending")
    parser.add_argument("--batch", type=int, default=500, help="new articles timed at each size")
    parser.add_argument(
        "--dir", type=Path, help="folder for the databases (default: a temporary one, removed)"
    )
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument(
        "--rebuild", action="store_true", help="also time `newswatch dedupe rebuild` at the end"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    settings = DedupeSettings()
    params = IndexParams.from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"threshold {settings.threshold}, {params.num_perm} permutations, "
            f"{params.shingle_size}-word shingles, LSH {params.bands} bands x {params.rows} rows; "
            f"{args.batch} new articles timed per size",
            flush=True,
        )
        paths = build_databases(folder, sizes, args.workers)
        # The sizes take turns, ten articles at a time, so that whatever else runs on
        # the machine slows every size alike.
        targets = [TimedStore(path, settings, seed=10**9 + i) for i, path in enumerate(paths)]
        number = 10_000_000  # new articles' numbers never collide with base ones
        for offset in range(args.batch):
            for target in targets:
                target.store_one(number, copy=offset % 10 == 9)
                number += 1
        results = [
            (size, t.summary(args.batch // 10)) for size, t in zip(sizes, targets, strict=True)
        ]
        if args.rebuild:
            db = connect(paths[-1])
            began = time.perf_counter()
            count = Deduper(db, settings).rebuild()
            rebuild_s = time.perf_counter() - began
            db.close()
            print(f"rebuild of {count} articles: {rebuild_s:.0f}s ({count / rebuild_s:.0f}/s)")
    print()
    print(
        f"{'stored':>8} {'upsert ms':>22} {'assign ms':>22} {'total ms':>22} "
        f"{'copies':>8} {'cands':>6} {'bands':>10} {'db MB':>8}"
    )
    print(f"{'':>8}" + f" {'mean / median / p95':>22}" * 3)
    for size, r in results:
        cells = []
        for key in ("upsert", "assign", "total"):
            mean, median, p95 = _stats(r[key])  # type: ignore[arg-type]
            cells.append(f"{mean:6.2f} /{median:6.2f} /{p95:6.2f}")
        print(
            f"{size:>8} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22} "
            f"{r['copies_found']:>3}/{r['copies_made']:<4} {r['candidates']:>6.2f} "
            f"{r['bands']:>10} {r['db_mb']:>8.0f}"
        )
    largest = results[-1][1]["tables"]
    if largest:
        shown = ", ".join(f"{name} {mb:.0f}" for name, mb in list(largest.items())[:8])  # type: ignore[union-attr]
        print(f"MB per table/index at {results[-1][0]}: {shown}")
    if len(results) >= 2:
        (small, a), (large, b) = results[0], results[-1]
        for key in ("assign", "total"):
            ratio = statistics.median(b[key]) / statistics.median(a[key])  # type: ignore[arg-type]
            print(f"median {key} time at {large} / at {small}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
