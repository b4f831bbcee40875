"""The evidence as a reviewer sees it: every page of a run opened in headless Chromium with
the network blocked. No page requests anything from outside, logs a console error, shows an
e-mail or phone unmasked, or links to a file that is not there. A screenshot of each page is
kept in ``test-artifacts/browser/`` (``HOTPASS_TEST_ARTIFACTS`` to change it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from hotpass_lib.privacy import mask_text

from .helpers import contact_values, evidence_pages, run_dir_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(
    os.environ.get(
        "HOTPASS_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"
    )
)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # as root (CI) Chromium refuses to start sandboxed
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    # the network, blocked twice: no name resolves, and any request goes to a dead proxy
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
)
LOCAL_SCHEMES = {"file", "data", "about", "blob", "chrome-error"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="headless Chromium is not installed: apt-get install chromium chromium-driver "
        "(.ci/run installs them)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager: no usage statistics
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="hotpass-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Network.enable", {})
    blocked = ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": blocked})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _open(driver, page: Path) -> dict[str, object]:
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get_log("browser")
    driver.get(page.as_uri())
    driver.execute_script("return document.readyState")
    return {
        "requests": _requests(driver),
        "console": [e for e in driver.get_log("browser") if e["level"] == "SEVERE"],
        "text": driver.execute_script("return document.body.innerText"),
        "title": driver.title,
        "links": driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
        ),
        "images": driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.naturalWidth])"
        ),
    }


def _screenshot(driver, run_dir: Path, page: Path) -> Path:
    name = str(page.relative_to(run_dir.parent)).replace("/", "__").replace(".html", ".png")
    target = ARTIFACTS / "browser" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(target))
    return target


def test_every_evidence_page_renders_offline_private_and_linked(workspace: Path, browser) -> None:
    run_dir = run_dir_of(workspace)
    values = contact_values(workspace)
    pages = evidence_pages(run_dir)
    assert len(pages) >= 10  # runs index, four stage pages, Data Docs index and suites
    problems: list[str] = []
    for page in pages:
        seen = _open(browser, page)
        shot = _screenshot(browser, run_dir, page)
        assert shot.stat().st_size > 1000
        label = str(page.relative_to(workspace))
        external = [u for u in seen["requests"] if urlparse(u).scheme not in LOCAL_SCHEMES]
        problems += [f"{label}: requested {u}" for u in external]
        problems += [f"{label}: console error {e['message']}" for e in seen["console"]]
        text = seen["text"]
        problems += [f"{label}: shows {v!r}" for v in values if v in text]
        if mask_text(text) != text:
            problems.append(f"{label}: an e-mail or phone is shown unmasked")
        for link in seen["links"]:
            parts = urlparse(link)
            if parts.scheme != "file":
                problems.append(f"{label}: links outside the evidence: {link}")
            elif not Path(unquote(parts.path)).exists():
                problems.append(f"{label}: broken link {link}")
        problems += [
            f"{label}: image without alt text or not shown"
            for alt, width in seen["images"]
            if not alt or not width
        ]
    assert not problems, "\n".join(problems)


def test_stage_pages_say_which_run_they_belong_to_and_hide_code(workspace: Path, browser) -> None:
    run_dir = run_dir_of(workspace)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for stage, record in manifest["stages"].items():
        seen = _open(browser, workspace / record["html"])
        assert seen["title"] == f"{stage.capitalize()} · run {run_dir.name}"
        text = seen["text"]
        for fact in (run_dir.name, "Input folder", "data/samples", "Git commit", "Started"):
            assert fact in text, (stage, fact)
        assert "import " not in text and "PosixPath" not in text  # code hidden
        assert not re.search(r"/tmp/|/work/|/home/", text), stage  # no absolute paths
    validate = _open(browser, run_dir / "02_validate.html")["text"]
    assert "Gate passed." in validate and "error-gated checks" in validate


def test_the_runs_index_leads_to_everything_of_a_run(workspace: Path, browser) -> None:
    run_dir = run_dir_of(workspace)
    seen = _open(browser, workspace / "runs" / "index.html")
    targets = {Path(unquote(urlparse(u).path)) for u in seen["links"]}
    for name in ("01_ingest.html", "04_publish.html", "manifest.json", "datadocs/index.html"):
        assert run_dir / name in targets, name
    row = next(line for line in seen["text"].splitlines() if run_dir.name in line)
    assert "passed" in row
