"""``lzdocs serve`` in a real browser (headless Chromium through Selenium and Debian's chromedriver): the server runs
as a subprocess on 0.0.0.0, so a login is required; log in, filter the risk points, open a unit, download a letter,
and keep a screenshot of each page (their paths are printed; ``pytest -s`` shows them)."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli
from tests.web.conftest import OVERDUE_NUMBER, PASSWORD

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                 reason="需要 Debian 的 chromium 和 chromium-driver"
                                        "（apt-get install chromium chromium-driver）")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(archive, tmp_path):
    """``lzdocs serve --host 0.0.0.0`` over a copy of the test archive with one user; yields its address."""
    root = tmp_path / "工作区"
    shutil.copytree(archive, root, symlinks=True)
    run_cli("-w", root, "user", "add", "张三", input=f"{PASSWORD}\n{PASSWORD}\n", check=0)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), "serve", "--host", "0.0.0.0",
                             "--port", str(port)], env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"lzdocs serve stopped: {proc.stderr.read().decode()}")
                time.sleep(0.1)
        yield base, root
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    pytest.importorskip("selenium", reason="需要 selenium（pip install selenium）")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "下载"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=zh-CN"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    # its profile and temporary files in a folder removed after it (its singleton folders stayed in /tmp, one per
    # run); a short path, not the test's: the singleton's socket path must fit a Unix socket's 108 bytes
    own = Path(tempfile.mkdtemp(prefix="lzcr-"))
    options.add_argument(f"--user-data-dir={own / 'profile'}")
    driver = webdriver.Chrome(options=options, service=Service(DRIVER, env={**os.environ, "TMPDIR": str(own)}))
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(own, ignore_errors=True)


def snap(driver, folder: Path, name: str) -> Path:
    """A screenshot of the whole page (beyond the window's height), through the DevTools protocol."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path = folder / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"截图：{path}")
    return path


def follow(browser, element) -> None:
    """Click what leads to another page and wait until that page has replaced this one (else an element looked up
    at once may belong to the page that is going away)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")

    def replaced(_) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:  # Chromium's words for the same while the new page is coming in
            if "does not belong to the document" in (exc.msg or ""):
                return True
            raise
        return False

    element.click()
    WebDriverWait(browser, 20).until(replaced)
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize("archive", ["sqlite"], indirect=True)  # what a browser adds is the same on either database;
# the same pages over PostgreSQL: tests/web/test_pages.py and test_access.py
def test_log_in_filter_open_a_unit_and_download_a_letter(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, root = server
    shots = tmp_path / "截图"
    shots.mkdir()
    browser.get(base + "/risks")
    assert browser.current_url.startswith(base + "/login") and browser.title.startswith("登录")
    browser.find_element(By.NAME, "username").send_keys("张三")
    browser.find_element(By.NAME, "password").send_keys("错误的密码")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert "用户名或密码不对" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    snap(browser, shots, "1-登录")
    browser.find_element(By.NAME, "username").send_keys("张三")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert browser.current_url == base + "/risks"  # back to the page asked for
    assert browser.find_element(By.ID, "total").text == "4"

    Select(browser.find_element(By.NAME, "level")).select_by_visible_text("一级")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert browser.find_element(By.ID, "total").text == "1"
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.risks tbody tr td")]
    assert cells[1:5] == ["计划财务处", "1", "出纳", "利用职务便利挪用公款"] and cells[6] == "一级"
    snap(browser, shots, "2-风险点-一级")

    follow(browser, browser.find_element(By.LINK_TEXT, "计划财务处"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "计划财务处"
    overdue = browser.find_element(By.CSS_SELECTOR, "tr.overdue")
    assert OVERDUE_NUMBER in overdue.text and "回复/谈话逾期 28 天" in overdue.text
    snap(browser, shots, "3-单位-计划财务处")

    overdue.find_element(By.LINK_TEXT, OVERDUE_NUMBER).click()
    letter = next((root / "outbox" / "2026" / "纪检监察建议书").glob(f"{OVERDUE_NUMBER}*.docx"))
    got, want = browser.downloads / letter.name, letter.read_bytes()
    for _ in range(200):  # Chrome makes the file empty at the start and renames the finished .crdownload over it
        if got.exists() and got.stat().st_size == len(want) and not list(browser.downloads.glob("*.crdownload")):
            break
        time.sleep(0.1)
    assert got.read_bytes() == want  # the Chinese name kept (RFC 5987), the bytes the same

    seen = {}
    for path, name in (("/", "4-报送情况"), ("/warnings", "5-预警处置"), ("/events", "6-收文动态"),
                       ("/charts", "7-统计图")):
        browser.get(base + path)
        seen[path] = browser.find_element(By.TAG_NAME, "main").text
        snap(browser, shots, name)
    assert "2026年度报送情况" in seen["/"] and "人事处 逾期报送 2026-11-20" in seen["/"]
    assert "逾期未处置 1 件" in seen["/warnings"] and "已退回" in seen["/events"]
    charts = browser.find_elements(By.CSS_SELECTOR, "img.chart")  # the page in view: /charts
    assert len(charts) == 2 and all(browser.execute_script("return arguments[0].naturalWidth", img) > 300
                                    for img in charts)
    print(f"截图文件夹：{shots}")
