"""The demo's watch step: ``lzdocs watch`` for a moment, taking a corrected form that arrives on its own."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from lzdocs.watch.service import POLLING, Watcher, WatchOptions
from lzdocs.watch.worker import IngestWorker

if TYPE_CHECKING:
    from lzdocs.office import Office

CORRECTED = "宣传部（修改后）.docx"
ROWS = [
    {"seq": "1", "post": "宣传干事", "duties": "新闻宣传", "risk": "收受有偿新闻费用", "category": "思想道德",
     "level": "二级", "measures": "执行新闻宣传纪律，稿件统一审核、署名发布", "owner": "李明"},
    {"seq": "2", "post": "网站编辑", "duties": "校园网站内容管理", "risk": "网站内容审核不严，发布不实信息",
     "category": "制度机制", "level": "三级", "measures": "落实三审三校，重要稿件分管领导签发", "owner": "张华"},
]


def demo_watch(office: Office, echo, report: dict, years: set) -> None:
    """宣传部 sends its corrected form after the 催报通知; a short-lived watcher takes it (about a second)."""
    from lzdocs.demo.steps import shown
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind
    from lzdocs.store import Store

    ws, today = office.ws, office.today

    options = WatchOptions(POLLING, interval=0.2, stable=0.5, quiet=0.2, reason="演示")
    worker = IngestWorker(ws, lambda: Store.for_workspace(ws, now=office.clock.now), quiet=0.2, dates=office.clock)
    watcher = Watcher(ws.inbox, options, worker)
    thread = threading.Thread(target=watcher.run, name="lzdocs-demo-watch", daemon=True)
    thread.start()
    write_docx(risk_kind(), ws.inbox / CORRECTED, unit="宣传部", rows=ROWS, date=today)
    written = time.monotonic()
    deadline = written + 20
    while not worker.recent and time.monotonic() < deadline:
        time.sleep(0.05)
    took = time.monotonic() - written
    watcher.stop()
    thread.join(30)
    echo("\n自动收取（lzdocs watch，常驻运行时每份表到达后几秒内入库）：")
    for o in worker.recent:
        result = f"{o.unit}，{o.rows} 个风险点" if o.status == "accepted" else o.status
        echo(f"  放入 {shown(ws, ws.inbox / CORRECTED)}，{took:.1f} 秒后自动收取 → {result}，"
             f"存为 {shown(ws, o.stored_as) if o.stored_as else '—'}")
        if o.year:
            years.add(o.year)
    report["watch"] = [o.as_dict() for o in worker.recent]
