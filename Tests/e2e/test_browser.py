"""The web UI in a real headless Chromium: upload through the page (with a network drop and a
page reload mid-upload), find the video in the library, play it and seek."""
import hashlib
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import fake_mp4
from helpers import request

pytestmark = pytest.mark.skipif(shutil.which("chromedriver") is None or shutil.which("ffmpeg") is None,
                                reason="chromium-driver and ffmpeg are needed")


@pytest.fixture
def browser(tmp_path):
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
                     "--window-size=1280,900"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    yield driver
    if os.environ.get("STREAMHUB_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["STREAMHUB_SCREENSHOTS"], "last.png"))
    driver.quit()


def wait_for(predicate, timeout=60, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def make_video(path, seconds):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=640x360:rate=30",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
                   check=True)


def choose_file(browser, path, title):
    from selenium.webdriver.common.by import By
    browser.find_element(By.ID, "file").send_keys(str(path))
    title_input = browser.find_element(By.ID, "title")
    title_input.clear()
    title_input.send_keys(title)
    browser.find_element(By.ID, "start").click()


def progress(browser):
    return float(browser.execute_script("return document.getElementById('progress').value"))


def test_upload_find_play_and_seek(hub, browser, tmp_path):
    from selenium.webdriver.common.by import By
    path = tmp_path / "browser-clip.mp4"
    make_video(path, 12)
    browser.get(hub.url + "/upload")
    choose_file(browser, path, "Browser clip")
    link = wait_for(lambda: browser.find_elements(By.ID, "watch-link"), message="upload to finish")[0]
    assert progress(browser) == 100

    browser.get(hub.url + "/?q=browser")
    card = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#videos .card"), message="library card")[0]
    assert "Browser clip" in card.text
    assert card.find_element(By.TAG_NAME, "img").get_attribute("naturalWidth") != "0", "the thumbnail loads"
    card.find_element(By.TAG_NAME, "a").click()

    wait_for(lambda: browser.find_elements(By.ID, "player"), message="player page")
    assert browser.find_element(By.ID, "video-title").text == "Browser clip"
    browser.execute_script("const v = document.getElementById('player'); v.muted = true; v.play();")
    wait_for(lambda: browser.execute_script("return document.getElementById('player').currentTime") > 0.3, message="playback")
    browser.execute_script("document.getElementById('player').currentTime = 9.5;")
    wait_for(lambda: browser.execute_script(
        "const v = document.getElementById('player'); return !v.seeking && v.currentTime >= 9.5 && v.readyState >= 2;"),
        timeout=10, message="seek to 9.5 s")
    assert browser.execute_script("return document.getElementById('player').error") is None


def test_upload_survives_a_network_drop_and_a_page_reload(hub, browser, tmp_path):
    from selenium.webdriver.common.by import By
    path = tmp_path / "long-clip.mp4"
    path.write_bytes(fake_mp4(30 * 1024 * 1024, seed=11))  # several 8 MiB chunks; only sniffed, never played
    browser.get(hub.url + "/upload")
    # Throttle the upload so there is time to break the connection mid-way.
    browser.set_network_conditions(offline=False, latency=5, download_throughput=50 * 1024 * 1024,
                                   upload_throughput=6 * 1024 * 1024)
    choose_file(browser, path, "Resumed clip")
    wait_for(lambda: progress(browser) > 5, message="upload to start")

    browser.set_network_conditions(offline=True, latency=5, download_throughput=0, upload_throughput=0)
    wait_for(lambda: "retrying" in browser.find_element(By.ID, "status").text, message="the page to notice the drop")
    browser.set_network_conditions(offline=False, latency=5, download_throughput=50 * 1024 * 1024,
                                   upload_throughput=6 * 1024 * 1024)
    wait_for(lambda: progress(browser) > 40, timeout=90, message="upload to continue after the drop")

    browser.refresh()  # the page goes away mid-upload; localStorage keeps the upload URL
    browser.delete_network_conditions()
    stored_url = browser.execute_script("return Object.keys(localStorage).length")
    assert stored_url == 1
    choose_file(browser, path, "Resumed clip")
    wait_for(lambda: "Resuming at" in browser.find_element(By.ID, "status").text or browser.find_elements(By.ID, "watch-link"),
             message="resume message")
    wait_for(lambda: browser.find_elements(By.ID, "watch-link"), timeout=90, message="upload to finish")
    video_id = browser.find_element(By.ID, "status").get_attribute("data-video-id")
    _, _, body = request(f"{hub.url}/api/v1/videos/{video_id}")
    assert json.loads(body)["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    _, _, listing = request(hub.url + "/api/v1/videos")
    assert json.loads(listing)["total"] == 1, "one video, not a restarted duplicate"
