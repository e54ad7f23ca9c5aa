"""``python -m bench xlsx-bomb``: the memory an Excel zip bomb costs the process that reads the upload
(docs/reliability.md).

A real workbook whose sheet holds one cell of 1 GiB of "A" (about 1 MB on disk, built with zipfile at deflate
level 9) and the same file with headers that declare the sheet as 100,000 bytes are read, each in a fresh process,
the way the registry upload (``open_sheet``, in the web process and again in the worker) and the admin's taxonomy
import read an upload. Each process reports its peak RSS before and after the read (``ru_maxrss``) and how the read
ended; its address space is capped at 4 GiB so that an unguarded read stops there instead of taking the machine.
Exits non-zero when a refusal grows a process by more than 5 MB or a bomb is not refused.
"""

import tempfile
from pathlib import Path

from bench.common import loadavg, print_table

GROWTH_LIMIT_KB = 5 * 1024


def run(*, pg: bool = False) -> int:
    from gridgov.common.tests import xlsx_bombs

    status = 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="gridgov-bomb-") as folder:
        honest = xlsx_bombs.bomb(Path(folder) / "bomb.xlsx", unpacked_mb=1024)
        lying = xlsx_bombs.lying(honest, Path(folder) / "lying.xlsx")
        for reader in ("registry", "taxonomy"):
            for name, path in (("1 GiB sheet", honest), ("1 GiB sheet, header says 100 KB", lying)):
                figures = xlsx_bombs.measure(reader, path)
                refused = figures["outcome"].startswith("refused")
                if not refused or figures["growth_kb"] > GROWTH_LIMIT_KB:
                    status = 1
                rows.append([reader, name, f"{figures['file_bytes']:,}", f"{figures['maxrss_before_kb'] / 1024:,.0f}",
                             f"{figures['maxrss_after_kb'] / 1024:,.0f}", f"{figures['growth_kb'] / 1024:,.1f}",
                             f"{figures['seconds']:.3f}", figures["outcome"][:60]])
    print(f"Excel zip bombs (load {loadavg()}): peak RSS of the reading process, MB")
    print_table(["reader", "file", "bytes", "before", "after", "growth", "seconds", "outcome"], rows)
    return status
