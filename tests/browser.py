"""Open a report in headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by
Selenium) with the network off, and check what a reader would see.

Tests call :func:`check_report`; it skips with the reason when no browser is installed
(``apt-get install chromium chromium-driver``, which ``.ci/run`` does).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"
_DRIVER = None


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def browser():
    """The session's headless Chromium, started on first use; skips where there is none."""
    global _DRIVER
    found = _chromium()
    if found is None:
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver to run the browser tests")
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium (dev extra)")
    if _DRIVER is None:
        options = webdriver.ChromeOptions()
        options.binary_location = found[0]
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,2000", "--hide-scrollbars"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        _DRIVER = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=found[1]))
        _DRIVER.execute_cdp_cmd("Network.enable", {})
        _DRIVER.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    return _DRIVER


def close_browser() -> None:
    global _DRIVER
    if _DRIVER is not None:
        _DRIVER.quit()
        _DRIVER = None


def check_report(path: Path, sections: list[str], screenshot: str) -> dict:
    """Load ``path`` offline; assert no console errors, every image decoded and every section
    heading present; save a full-page screenshot as ``reports/screenshots/<screenshot>.png``.

    Returns:
        ``{"headings": [...], "images": n}`` for further checks.
    """
    driver = browser()
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(Path(path).resolve().as_uri())
    state = driver.execute_script(
        "return {ready: document.readyState,"
        " images: Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]),"
        " headings: Array.from(document.querySelectorAll('h1, h2, summary')).map(h => h.textContent.trim()),"
        " height: document.body.scrollHeight};")
    errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    assert state["ready"] == "complete"
    assert not errors, errors
    undecoded = [alt for complete, width, alt in state["images"] if not complete or width == 0]
    assert not undecoded, f"images that did not decode: {undecoded}"
    for section in sections:
        assert any(section in heading for heading in state["headings"]), (section, state["headings"])
    check_tables(driver)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, min(max(state["height"], 800), 16000))
    driver.save_screenshot(str(SCREENSHOTS / f"{screenshot}.png"))
    driver.set_window_size(1280, 2000)
    return {"headings": state["headings"], "images": len(state["images"])}


# A cell that is one number (thousands separators, a sign, a unit) or one date: it must sit on one
# line, and every such number in a column must carry the same number of decimals (tables of class
# "kv", one setting per row, aside).
_TABLES = r"""
const number = /^[-+\u2212]?[\d,]+(\.(\d+))?( ?%| s)?$/;
const date = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
const wrapped = [], mixed = [];
document.querySelectorAll('table').forEach((table, t) => {
  if (table.closest('details') && !table.closest('details').open) return;  // folded away: not laid out
  const keyValue = table.classList.contains('kv');  // a setting per row: each value its own format
  const decimals = {};
  Array.from(table.rows).forEach(row => Array.from(row.cells).forEach((cell, c) => {
    if (cell.tagName !== 'TD') return;
    const text = cell.textContent.trim();
    const isNumber = number.test(text), isDate = date.test(text);
    if (!isNumber && !isDate) return;
    const range = document.createRange(); range.selectNodeContents(cell);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (lines.size > 1) wrapped.push(`table ${t} column ${c}: ${text}`);
    if (isNumber && !keyValue) { const m = text.match(number); (decimals[c] = decimals[c] || new Set()).add(m[2] ? m[2].length : 0); }
  }));
  for (const [c, set] of Object.entries(decimals)) if (set.size > 1) mixed.push(`table ${t} column ${c}: ${Array.from(set)} decimals`);
});
return {wrapped, mixed};
"""


def check_tables(driver) -> None:
    """Every table cell holding one number or one date sits on one line (no wrapping), and the
    numbers of each column carry one number of decimals."""
    found = driver.execute_script(_TABLES)
    assert not found["wrapped"], f"numbers or dates that wrap: {found['wrapped'][:5]}"
    assert not found["mixed"], f"columns with more than one number format: {found['mixed'][:5]}"


def sort_by_column(path: Path, table_id_or_index, column: int) -> list[str]:
    """Click a sortable table's header and return the first column's cells in the new order."""
    from selenium.webdriver.common.by import By

    driver = browser()
    driver.get(Path(path).resolve().as_uri())
    tables = driver.find_elements(By.CSS_SELECTOR, "table.sortable")
    table = tables[table_id_or_index]
    table.find_elements(By.TAG_NAME, "th")[column].click()
    return [row.find_elements(By.TAG_NAME, "td")[0].text for row in table.find_elements(By.TAG_NAME, "tr")[1:]]


def dark_mode_colours(path: Path) -> dict:
    """Load ``path`` with the system colour scheme set to dark; the page's computed colours."""
    driver = browser()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme",
                                                                        "value": "dark"}]})
    try:
        driver.get(Path(path).resolve().as_uri())
        return driver.execute_script(
            "var img = document.querySelector('img');"
            "return {body: getComputedStyle(document.body).backgroundColor,"
            " text: getComputedStyle(document.body).color,"
            " image: img ? getComputedStyle(img).backgroundColor : null};")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
