"""Checks of a rendered run report, shared by the unit tests and the real-data slow tests.

:func:`check_html_report` reads ``report.html`` as text and compares it with
``metrics.json`` and ``predictions.npz``; :func:`open_in_browser` opens it in headless
Chromium (Debian's ``chromium``) and reports what the browser saw: images that did
not load, script elements, the page's visible text.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not "
                                    "installed (apt-get install chromium)")

CLASSIFICATION_PLOTS = {"confusion_matrix", "class_scores", "representations"}


def table_cells(page: str, table_id: str) -> list[str]:
    """The ``<td>`` texts of the table with ``id=table_id``, in order (unescaped)."""
    body = re.search(rf'<table[^>]*id="{table_id}">(.*?)</table>', page, re.S)
    assert body, f"no table {table_id}"
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body.group(1), re.S)]


def check_html_report(run: Path) -> dict:
    """Assert report.html is self-contained, script-free, has the task's plots as valid
    PNGs and shows the numbers of metrics.json; return ``{"plots": {...}, "metrics": m}``."""
    import matplotlib.image as mpimg
    from sklearn.metrics import average_precision_score, roc_auc_score
    from specc.reports.metrics import positive_scores
    page = (run / "report.html").read_text(encoding="utf-8")
    m = json.loads((run / "metrics.json").read_text())
    digits = 4
    assert "<script" not in page.lower(), "report.html must hold no script element"
    assert not re.search(r'\b(?:src|href)="(?!data:image/png;base64,)', page), \
        "report.html must not reference outside files"
    figures = dict(re.findall(r'<figure id="plot-([a-z_]+)">\s*<img src="data:image/png;'
                              r'base64,([A-Za-z0-9+/=]+)"', page))
    for name, data in figures.items():
        png = base64.b64decode(data, validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n", name
        h, w = mpimg.imread(io.BytesIO(png)).shape[:2]
        assert h > 100 and w > 100, name
    if m["epochs_trained"] and m["epochs_trained"] > 1:
        assert "history" in figures
    if m["task"] == "regression":
        assert "regression" in figures
        assert f'id="metric-rmse">{m["rmse"]:.{digits}f}<' in page
        return {"plots": set(figures), "metrics": m}
    assert CLASSIFICATION_PLOTS <= set(figures), set(figures)
    assert f'id="metric-accuracy">{m["accuracy"]:.{digits}f}<' in page
    f1 = m["classification_report"]["macro avg"]["f1-score"]
    assert f'id="metric-macro-f1">{f1:.{digits}f}<' in page
    if len(m["class_names"]) <= 12:
        cells = table_cells(page, "confusion-matrix")
        assert [int(c) for c in cells] == [v for row in m["confusion_matrix"] for v in row]
    rows = table_cells(page, "classification-report")
    for i, name in enumerate(m["class_names"]):
        assert rows[5 * i] == name
        assert rows[5 * i + 3] == f'{m["classification_report"][name]["f1-score"]:.{digits}f}'
    if m["task"] == "binary":
        assert "roc_pr" in figures
        pred = np.load(run / "predictions.npz")
        s = positive_scores(pred["scores"])
        assert m["roc_auc"] == pytest.approx(roc_auc_score(pred["y_true"], s))
        assert m["average_precision"] == pytest.approx(average_precision_score(pred["y_true"], s))
        assert f'id="metric-roc-auc">{m["roc_auc"]:.{digits}f}<' in page
    return {"plots": set(figures), "metrics": m}


PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const out = {images: images.length, scripts: document.scripts.length,
               broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
               sizes: images.map(i => [i.naturalWidth, i.naturalHeight]),
               text: document.body.innerText};
  const pre = document.createElement("pre");
  pre.id = "specc-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def open_in_browser(report: Path, workdir: Path) -> dict:
    """Open a copy of ``report`` with a probe script added in headless Chromium; return
    ``{"images", "scripts" (the probe counts 1), "broken", "sizes", "text"}``."""
    page = report.read_text(encoding="utf-8").replace("</body>", PROBE + "\n</body>")
    probe = workdir / "probe.html"
    probe.write_text(page, encoding="utf-8")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={workdir / 'chromium-profile'}",
           "--virtual-time-budget=10000", "--dump-dom", probe.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="specc-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"chromium gave no probe result (exit {done.returncode}): {done.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1)))


def check_in_browser(run: Path, workdir: Path) -> dict:
    """Assert every image of report.html loads in Chromium and no script but the probe ran."""
    seen = open_in_browser(run / "report.html", workdir)
    assert seen["broken"] == [] and seen["images"] >= 1, seen["broken"]
    assert all(w > 100 and h > 100 for w, h in seen["sizes"])
    assert seen["scripts"] == 1
    return seen
