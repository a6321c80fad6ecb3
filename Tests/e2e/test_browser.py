"""The web UI in a real headless Chromium: upload through the page (with a network drop and a
page reload mid-upload), find the video in the library, play it and seek."""
import hashlib
import json
import os
import shutil
import subprocess
import time
from urllib.parse import urlparse

import pytest

from conftest import fake_mp4
from helpers import processed
from hubbench import Hub

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
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None  # the page is being replaced (a reload or navigation); look again
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


def fill(browser, form_id, **fields):
    from selenium.webdriver.common.by import By
    form = browser.find_element(By.ID, form_id)
    for name, value in fields.items():
        element = form.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def sign_in(browser, hub, name="admin", password="admin-password"):
    from selenium.webdriver.common.by import By
    browser.get(hub.url + "/login")
    fill(browser, "sign-in-form", name=name, password=password)
    wait_for(lambda: browser.find_elements(By.ID, "sign-out"), message="signed in")


def progress(browser):
    return float(browser.execute_script("return document.getElementById('progress').value"))


def test_upload_find_play_and_seek(hub, browser, tmp_path):
    from selenium.webdriver.common.by import By
    path = tmp_path / "browser-clip.mp4"
    make_video(path, 12)
    sign_in(browser, hub)
    browser.get(hub.url + "/upload")
    choose_file(browser, path, "Browser clip")
    link = wait_for(lambda: browser.find_elements(By.ID, "watch-link"), message="upload to finish")[0]
    assert progress(browser) == 100
    # The upload page links to the player at once; the thumbnail comes with processing.
    processed(hub, link.get_attribute("href").rstrip("/").rsplit("/", 1)[1])

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

    # The owner shares it from the player page (a PATCH carrying the page's CSRF token).
    assert browser.find_element(By.ID, "visibility").text == "Private"
    browser.find_element(By.CSS_SELECTOR, "details.edit summary").click()
    browser.find_element(By.NAME, "shared").click()
    browser.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    wait_for(lambda: browser.find_elements(By.ID, "visibility") and browser.find_element(By.ID, "visibility").text == "Shared",
             message="shared after saving")


def test_upload_survives_a_network_drop_and_a_page_reload(hub, browser, tmp_path):
    from selenium.webdriver.common.by import By
    path = tmp_path / "long-clip.mp4"
    path.write_bytes(fake_mp4(30 * 1024 * 1024, seed=11))  # several 8 MiB chunks; only sniffed, never played
    sign_in(browser, hub)
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
    _, _, body = hub.request(f"/api/v1/videos/{video_id}")
    assert json.loads(body)["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    _, _, listing = hub.request("/api/v1/videos")
    assert json.loads(listing)["total"] == 1, "one video, not a restarted duplicate"


def test_first_admin_signs_up_signs_out_signs_in_and_is_refused_after_signing_out(binary, browser, tmp_path):
    from selenium.webdriver.common.by import By
    hub = Hub(binary, str(tmp_path))
    hub.start()
    try:
        # A fresh hub sends its first visitor to make the admin account.
        browser.get(hub.url + "/")
        wait_for(lambda: "/signup" in browser.current_url, message="redirect to sign-up")
        assert "Create the admin account" in browser.find_element(By.TAG_NAME, "h1").text
        fill(browser, "sign-up-form", name="Root", password="a long admin password")
        wait_for(lambda: browser.find_elements(By.ID, "sign-out"), message="signed in after sign-up")
        assert browser.find_element(By.ID, "account-link").text == "root"
        assert browser.find_elements(By.LINK_TEXT, "Users"), "the first account is the admin"
        cookie = browser.get_cookie("streamhub_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        browser.find_element(By.ID, "sign-out").click()
        wait_for(lambda: urlparse(browser.current_url).path == "/login", message="back at the sign-in page")
        browser.get(hub.url + "/upload")
        wait_for(lambda: "/login?next=" in browser.current_url, message="a page needs signing in")

        fill(browser, "sign-in-form", name="root", password="wrong password")
        wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#sign-in-form .form-error").text, message="error shown")
        assert "wrong" in browser.find_element(By.CSS_SELECTOR, "#sign-in-form .form-error").text
        fill(browser, "sign-in-form", name="root", password="a long admin password")
        wait_for(lambda: urlparse(browser.current_url).path == "/upload" and browser.find_elements(By.ID, "sign-out"),
                 message="returned to the page asked for")
        second = browser.get_cookie("streamhub_session")
        assert second["value"] != cookie["value"]

        browser.find_element(By.ID, "sign-out").click()
        wait_for(lambda: urlparse(browser.current_url).path == "/login", message="signed out again")
        # The browser is given its old session cookie back: signing out ended it on the server.
        browser.add_cookie({"name": "streamhub_session", "value": second["value"], "path": "/"})
        browser.get(hub.url + "/settings")
        wait_for(lambda: urlparse(browser.current_url).path == "/login", message="refused after signing out")
        status, _, _ = hub.request("/api/v1/me", headers={"Cookie": f"streamhub_session={second['value']}"})
        assert status == 401
    finally:
        hub.stop()


def test_settings_page_makes_and_revokes_tokens_and_admins_invite(hub, browser):
    from selenium.webdriver.common.by import By
    sign_in(browser, hub)
    browser.get(hub.url + "/settings")
    fill(browser, "token-form", label="my script")
    token = wait_for(lambda: browser.find_element(By.ID, "new-token").text, message="the new token")
    assert token.startswith("shub_")
    assert hub.request("/api/v1/me", token=token)[0] == 200
    browser.get(hub.url + "/settings")
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#tokens tbody tr") if "my script" in r.text)
    row.find_element(By.TAG_NAME, "button").click()
    browser.switch_to.alert.accept()
    wait_for(lambda: any("my script" not in t.text for t in browser.find_elements(By.ID, "tokens")),
             message="token gone from the list")
    assert hub.request("/api/v1/me", token=token)[0] == 401

    browser.get(hub.url + "/admin/users")
    fill(browser, "invite-form")
    link = wait_for(lambda: browser.find_element(By.ID, "invitation-link").text, message="invitation link")
    browser.find_element(By.ID, "sign-out").click()
    wait_for(lambda: urlparse(browser.current_url).path == "/login", message="signed out")
    browser.get(hub.url + link)
    fill(browser, "sign-up-form", name="newcomer", password="newcomer-password")
    wait_for(lambda: browser.find_elements(By.ID, "account-link"), message="signed in as the newcomer")
    assert browser.find_element(By.ID, "account-link").text == "newcomer"
    assert not browser.find_elements(By.LINK_TEXT, "Users"), "an invited member is not an admin"


def test_notes_create_edit_history_search_share_and_seek(hub, browser, tmp_path):
    """The notepad in a browser: write a note with live preview, edit it twice, compare versions
    in its history, find it by search, share it; then a video's note seeks the player."""
    from selenium.webdriver.common.by import By
    sign_in(browser, hub)
    browser.get(hub.url + "/notes/new")
    browser.find_element(By.ID, "note-title-input").send_keys("Release checklist")
    browser.find_element(By.ID, "note-tags-input").send_keys("release, ops")
    browser.find_element(By.ID, "note-content-input").send_keys("# Checklist\n\n- **build** <script>window.pwned = 1</script>")
    wait_for(lambda: "<strong>build</strong>" in browser.find_element(By.ID, "note-preview").get_attribute("innerHTML"),
             message="the live preview")
    browser.find_element(By.ID, "save-note").click()
    wait_for(lambda: browser.find_elements(By.ID, "note-page"), message="the saved note")
    assert browser.find_element(By.ID, "note-title").text == "Release checklist"
    assert browser.execute_script("return window.pwned === undefined"), "script in a note never runs"
    note_id = browser.find_element(By.ID, "note-page").get_attribute("data-note-id")

    for line in ["\n- tag the release", "\n- announce it"]:
        browser.find_element(By.ID, "edit-note").click()
        content = wait_for(lambda: browser.find_elements(By.ID, "note-content-input"), message="the editor")[0]
        content.send_keys(line)
        browser.find_element(By.ID, "save-note").click()
        wait_for(lambda: browser.find_elements(By.ID, "note-page"), message="the saved edit")
    assert browser.find_element(By.ID, "note-version").text == "3"

    browser.find_element(By.ID, "note-history").click()
    wait_for(lambda: browser.find_elements(By.ID, "versions"), message="the history page")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#versions tbody tr")) == 3
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.ID, "diff-from")).select_by_value("1")
    Select(browser.find_element(By.ID, "diff-to")).select_by_value("3")
    browser.find_element(By.CSS_SELECTOR, "#compare-form button").click()
    wait_for(lambda: "from=1" in browser.current_url, message="the comparison")
    added = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#diff .added")]
    assert any("tag the release" in text for text in added) and any("announce it" in text for text in added)

    browser.get(hub.url + "/notes")
    search = browser.find_element(By.ID, "note-search")
    search.send_keys("announ")
    search.submit()
    # Wait for the results page itself: the list of the page before it matches too, and goes
    # stale under our feet when the navigation lands (seen on a loaded CI machine).
    wait_for(lambda: "q=announ" in browser.current_url, message="the search page")
    item = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#notes .note-item mark") and
                    browser.find_elements(By.CSS_SELECTOR, "#notes .note-item"), message="search results")[0]
    assert item.get_attribute("data-note-id") == note_id
    assert "announ" in item.find_element(By.TAG_NAME, "mark").text.lower()

    item.find_element(By.CSS_SELECTOR, "a.title").click()
    wait_for(lambda: browser.find_elements(By.ID, "share-toggle"), message="the note page")
    assert browser.find_element(By.ID, "visibility").text == "Private"
    browser.find_element(By.ID, "share-toggle").click()
    # Sharing says that the history goes with the note, and offers the current version alone.
    dialog = wait_for(lambda: [d for d in browser.find_elements(By.ID, "share-dialog") if d.is_displayed()], message="the share dialog")[0]
    assert "every earlier version" in dialog.text and browser.find_element(By.ID, "share-current-only").is_displayed()
    browser.find_element(By.ID, "share-with-history").click()
    wait_for(lambda: browser.find_elements(By.ID, "visibility") and browser.find_element(By.ID, "visibility").text == "Shared",
             message="shared")
    assert browser.current_url.endswith(f"/notes/{note_id}"), "shared with its history: the same note"
    browser.get(hub.url + "/notes?view=community")
    assert note_id in [e.get_attribute("data-note-id") for e in browser.find_elements(By.CSS_SELECTOR, "#notes .note-item")]

    # A note on a video: its [0:07] seeks the player beside it.
    path = tmp_path / "noted.mp4"
    make_video(path, 12)
    uploaded = hub.cli("upload", str(path), "--title", "Noted clip", env={"STREAMHUB_URL": hub.url, "STREAMHUB_TOKEN": hub.token})
    video_id = uploaded.stdout.strip().splitlines()[-1]
    browser.get(hub.url + f"/notes/new?video={video_id}")
    browser.find_element(By.ID, "note-title-input").send_keys("Highlights")
    browser.find_element(By.ID, "note-content-input").send_keys("The best moment is at [0:07].")
    browser.find_element(By.ID, "save-note").click()
    wait_for(lambda: browser.find_elements(By.ID, "note-page"), message="the video note")
    browser.get(hub.url + f"/videos/{video_id}")
    link = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#video-notes a[href="#t=7"]'), message="the timestamp link")[0]
    browser.execute_script("document.getElementById('player').muted = true;")
    link.click()
    wait_for(lambda: browser.execute_script(
        "const v = document.getElementById('player'); return Math.abs(v.currentTime - 7) < 1.5;"),
        timeout=15, message="the player to seek to 0:07")


def test_peers_page_adds_a_peer_and_shows_its_state_and_the_sync_log(binary, browser, tmp_path):
    """The Peers page in a browser: an admin adds another hub with the form, sees it alive, and a
    shared note from it shows in the sync log."""
    import json
    from hubbench import free_port
    from selenium.webdriver.common.by import By
    hubs = []
    for name in ("office", "lab"):
        workdir = tmp_path / name
        workdir.mkdir()
        hub = Hub(binary, str(workdir), extra_env={
            "P2P_ENABLED": "true", "P2P_PORT": str(free_port()), "P2P_NODE_NAME": name, "P2P_MDNS": "false",
            "P2P_SECRET": "browser-test-cluster-secret", "P2P_GOSSIP_INTERVAL_MS": "100"})
        hub.start()
        hub.sign_up_admin()
        hubs.append(hub)
    office, lab = hubs
    try:
        sign_in(browser, office)
        browser.get(office.url + "/peers")
        assert "office" in browser.find_element(By.ID, "peers").text
        fill(browser, "add-peer", name="lab", address=f"127.0.0.1:{lab.env['P2P_PORT']}")
        row = wait_for(lambda: [r for r in browser.find_elements(By.CSS_SELECTOR, "#peer-list tr.peer") if "lab" in r.text],
                       message="the added peer")[0]
        assert "127.0.0.1:" in row.text

        def alive():
            browser.refresh()
            return [r for r in browser.find_elements(By.CSS_SELECTOR, "#peer-list tr.peer.alive") if "lab" in r.text]

        wait_for(alive, interval=0.5, message="the peer alive")
        body = json.dumps({"title": "From the lab", "content": "measured", "shared": True}).encode()
        status, _, raw = lab.request("/api/v1/notes", "POST", {"Content-Type": "application/json"}, body)
        assert status == 201
        note_id = json.loads(raw)["id"]

        def logged():
            browser.refresh()
            return browser.find_elements(By.CSS_SELECTOR, f"#sync-log tr.applied a[href='/notes/{note_id}']")

        wait_for(logged, interval=0.5, message="the applied batch in the sync log")
        browser.find_element(By.CSS_SELECTOR, f"#sync-log a[href='/notes/{note_id}']").click()
        wait_for(lambda: browser.find_elements(By.ID, "note-page"), message="the note from the lab")
        assert browser.find_element(By.ID, "note-title").text == "From the lab"
        assert "admin@lab" in browser.find_element(By.ID, "note-page").text
    finally:
        for hub in hubs:
            hub.stop()


def test_a_peers_video_plays_and_seeks_in_the_player(binary, browser, tmp_path):
    """A shared video uploaded on hub-a, played and sought on hub-c's player page: the blocks
    come through the peer network as the player asks for them."""
    from selenium.webdriver.common.by import By

    from helpers import api, create_upload, eventually, finish_upload
    from test_peers import Cluster
    cluster = Cluster(binary, str(tmp_path))
    try:
        a = cluster.hub("hub-a")
        c = cluster.hub("hub-c", seeds=[a], P2P_VIDEO_REPLICAS="1")
        path = tmp_path / "peer-clip.mp4"
        make_video(path, 20)
        data = path.read_bytes()
        video = finish_upload(a, create_upload(a, len(data), {"filename": "peer-clip.mp4", "title": "Peer clip", "shared": "true"}), 0, data)
        eventually(lambda: api(c, f"/api/v1/videos/{video}")[0] == 200, message="the video never reached hub-c")

        sign_in(browser, c)
        browser.get(c.url + "/?q=peer")
        card = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#videos .card"), message="library card")[0]
        assert "Peer clip" in card.text and "from hub-a" in card.text
        wait_for(lambda: card.find_element(By.TAG_NAME, "img").get_attribute("naturalWidth") not in (None, "0"), message="thumbnail")
        browser.get(f"{c.url}/videos/{video}")
        assert browser.find_element(By.ID, "origin-hub").text == "hub-a"
        browser.execute_script("const v = document.getElementById('player'); v.muted = true; v.play();")
        wait_for(lambda: browser.execute_script("return document.getElementById('player').currentTime") > 0.3, message="playback")
        browser.execute_script("document.getElementById('player').currentTime = 16;")
        wait_for(lambda: browser.execute_script(
            "const v = document.getElementById('player'); return !v.seeking && v.currentTime >= 16 && !v.paused && v.readyState >= 3;"),
            timeout=15, message="seek to 16 s and play on")
        assert browser.execute_script("return document.getElementById('player').error") is None
    finally:
        cluster.stop()


def test_every_source_plays_in_chromium_through_its_playable_rendition(hub, browser, tmp_path):
    """HEVC in MOV, H.264 in MKV and MPEG-2 in AVI play through the H.264/AAC rendition the hub
    made; VP9 in WebM plays as it came."""
    from test_media import upload_sources
    uploaded = upload_sources(hub, tmp_path)
    sign_in(browser, hub)
    for name, (video, _) in uploaded.items():
        browser.get(f"{hub.url}/videos/{video['id']}")
        source = browser.execute_script("return document.getElementById('player').currentSrc")
        assert source.endswith(video["playbackUrl"]), (name, source)
        browser.execute_script("const v = document.getElementById('player'); v.muted = true; v.play();")
        wait_for(lambda: browser.execute_script("return document.getElementById('player').currentTime") > 1,
                 timeout=30, message=f"{name} to play")
        assert browser.execute_script("return document.getElementById('player').error") is None, name


def test_the_seek_strip_shows_the_frame_under_the_pointer_and_seeks(hub, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from helpers import create_upload, finish_upload
    path = tmp_path / "previews.mp4"
    make_video(path, 12)
    data = path.read_bytes()
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "previews.mp4"}), 0, data)
    processed(hub, video, want=("previewsUrl",))
    vtt = b"WEBVTT\n\n00:00.000 --> 00:12.000\nSpoken words\n"
    assert hub.request(f"/api/v1/videos/{video}/captions/en?label=English", "PUT", {"Content-Type": "text/vtt"}, vtt)[0] == 201
    sign_in(browser, hub)
    browser.get(f"{hub.url}/videos/{video}")
    # The captions are a track the player offers; shown, its cue is active from the start.
    browser.execute_script("document.getElementById('player').textTracks[0].mode = 'showing';")
    wait_for(lambda: browser.execute_script(
        "const t = document.getElementById('player').textTracks[0]; return t.cues && t.cues.length === 1 && t.label === 'English'"),
        message="the captions track")
    wait_for(lambda: browser.execute_script("return document.getElementById('player').duration") > 0, message="metadata")
    seek = browser.find_element(By.ID, "seek")
    # Nine tenths along (offsets are from the middle): 10.8 s, the second frame (10 s and after) of the one sheet.
    ActionChains(browser).move_to_element_with_offset(seek, int(seek.size["width"] * 0.4), 0).perform()
    preview = browser.find_element(By.ID, "seek-preview")
    wait_for(lambda: preview.is_displayed(), message="the preview")
    assert f"/api/v1/videos/{video}/previews/1" in preview.value_of_css_property("background-image")
    assert preview.value_of_css_property("background-position") == "-160px 0px"
    assert browser.find_element(By.ID, "seek-time").text == "0:10"
    ActionChains(browser).click().perform()
    wait_for(lambda: browser.execute_script("return document.getElementById('player').currentTime") > 8, message="the seek")
    # A search result's link to a moment opens the player there.
    browser.get(f"{hub.url}/videos/{video}#t=7.250")
    wait_for(lambda: browser.execute_script("return document.getElementById('player').currentTime") == 7.25, message="the start at #t=")


def make_ladder_source(path, seconds):
    """720p with noise in every frame, so each rung's rate reaches its cap: 720p then needs
    about 2.8 Mbit/s and 360p 0.7."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size=1280x720:rate=30",
                    "-f", "lavfi", "-i", f"sine=duration={seconds}", "-vf", "noise=alls=30:allf=t", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(path)], check=True)


def test_on_a_slow_link_the_adaptive_player_plays_a_lower_rung_and_the_menu_switches(hub, browser, tmp_path):
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.common.by import By
    from helpers import create_upload, finish_upload
    path = tmp_path / "ladder.mp4"
    make_ladder_source(path, 12)
    data = path.read_bytes()
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "ladder.mp4"}), 0, data)
    ready = processed(hub, video, timeout=180, want=("hlsUrl",))
    rates = {r["name"]: r["peakBitRate"] for r in ready["renditions"]}
    assert rates["360p"] < 1_200_000 < rates["720p"], rates
    sign_in(browser, hub)
    # 1.5 Mbit/s down and 40 ms each way, for every request the page makes.
    browser.set_network_conditions(offline=False, latency=40, download_throughput=1_500_000 // 8, upload_throughput=1_500_000 // 8)
    browser.get(f"{hub.url}/videos/{video}")
    player = "document.getElementById('player')"
    wait_for(lambda: browser.execute_script(f"return {player}.dataset.rendition"), timeout=30, message="the first rung")
    browser.execute_script(f"{player}.muted = true; {player}.play();")
    wait_for(lambda: browser.execute_script(f"return {player}.currentTime") > 1, timeout=30, message="playback past 1 s")
    assert browser.execute_script(f"return {player}.src").startswith("blob:"), "played through Media Source Extensions"
    assert browser.execute_script(f"return {player}.dataset.rendition") == "360p", "the top rung does not fit 1.5 Mbit/s"
    assert browser.execute_script(f"return {player}.error") is None
    # The quality menu: automatic says what it chose; 720p chosen by hand plays from the next segment.
    menu = Select(browser.find_element(By.ID, "quality"))
    assert [o.text for o in menu.options] == ["Auto (360p)", "720p", "360p"]
    menu.select_by_value("720p")
    wait_for(lambda: browser.execute_script(f"return {player}.dataset.rendition") == "720p", timeout=30, message="the switch")
    at = browser.execute_script(f"return {player}.currentTime")
    wait_for(lambda: browser.execute_script(f"return {player}.currentTime") > at + 1, timeout=30, message="playback after it")
    assert browser.execute_script(f"return {player}.videoHeight") in (360, 720)
    assert browser.execute_script(f"return {player}.error") is None
    # Opened at a moment (a search result's link), the adaptive player starts there.
    browser.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    browser.get(f"{hub.url}/videos/{video}#t=9")
    browser.execute_script(f"{player}.muted = true; {player}.play();")
    wait_for(lambda: browser.execute_script(f"return {player}.currentTime") > 9.5, timeout=30, message="playback from 9 s")


def test_the_player_page_follows_processing_in_place_and_picks_up_previews_and_the_ladder(binary, browser, tmp_path):
    """The page of a video still processing updates without a reload: once ready it has its
    poster, details and something to play; the seek strip and the adaptive ladder, which are
    made after that, turn up on the open page too."""
    from helpers import create_upload, finish_upload
    from selenium.webdriver.common.by import By
    path = tmp_path / "later.mp4"
    make_ladder_source(path, 6)
    data = path.read_bytes()
    (tmp_path / "hub").mkdir()
    # No workers at first, so the page is certainly opened on a video still processing.
    hub = Hub(binary, str(tmp_path / "hub"), extra_env={"MEDIA_WORKERS": "0", "PREVIEW_INTERVAL_SECONDS": "2"})
    hub.start()
    try:
        hub.sign_up_admin()
        video = finish_upload(hub, create_upload(hub, len(data), {"filename": "later.mp4"}), 0, data, wait=False)
        sign_in(browser, hub)
        browser.get(f"{hub.url}/videos/{video}")
        assert browser.find_element(By.ID, "processing-state").is_displayed()
        assert not browser.find_element(By.ID, "seek").is_displayed()
        browser.execute_script("window.sameDocument = true;")
        hub.stop()
        hub.env["MEDIA_WORKERS"] = "1"
        hub.start()  # the page's polls fail meanwhile, and go on
        player = "document.getElementById('player')"
        wait_for(lambda: not browser.find_element(By.ID, "processing-state").is_displayed(), timeout=60, message="ready")
        assert browser.execute_script(f"return {player}.poster").endswith(f"/api/v1/videos/{video}/thumbnail")
        assert browser.find_element(By.ID, "detail-duration").text == "0:06"
        assert browser.find_element(By.ID, "detail-resolution").text == "1280×720"
        wait_for(lambda: browser.find_element(By.ID, "seek").is_displayed(), timeout=60, message="the seek strip")
        wait_for(lambda: browser.execute_script(f"return {player}.dataset.rendition"), timeout=120, message="the ladder")
        assert browser.find_element(By.ID, "quality-control").is_displayed()
        assert browser.execute_script("return window.sameDocument") is True, "never reloaded"
        browser.execute_script(f"{player}.muted = true; {player}.play();")
        wait_for(lambda: browser.execute_script(f"return {player}.currentTime") > 1, timeout=30, message="playback")
    finally:
        hub.stop()


def test_the_operations_page_draws_the_hubs_figures_for_an_admin(hub, browser):
    """The admin's Operations link: the dependencies asked now, the figures' charts drawn (a
    first point of each 10 s after the hub started), the last day a click away."""
    from selenium.webdriver.common.by import By
    sign_in(browser, hub)
    browser.find_element(By.LINK_TEXT, "Operations").click()
    wait_for(lambda: urlparse(browser.current_url).path == "/admin/operations", message="the operations page")
    states = {row.get_attribute("data-dependency"): row.find_elements(By.TAG_NAME, "td")[1].text
              for row in browser.find_elements(By.CSS_SELECTOR, "#dependencies tbody tr")}
    assert states == {"database": "ok", "store": "ok", "peers": "off", "ffmpeg": "ok"}, states

    def drawn():
        browser.get(hub.url + "/admin/operations")
        lines = browser.find_elements(By.CSS_SELECTOR, "svg.chart polyline.series")
        return lines and all(line.get_attribute("points") for line in lines[:2])
    wait_for(drawn, timeout=40, interval=2, message="a sampled point on the charts")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    assert chart.size["width"] > 300 and chart.size["height"] > 80, chart.size
    assert "no figure yet" not in browser.find_element(By.CSS_SELECTOR, ".operations-chart figcaption").text
    browser.find_element(By.LINK_TEXT, "Show the last day").click()
    wait_for(lambda: "a point every 5 minutes" in browser.page_source, message="the day's view")
    browser.find_element(By.LINK_TEXT, "Storage").click()
    wait_for(lambda: browser.find_elements(By.ID, "storage-summary"), message="the storage page")
    assert browser.find_element(By.ID, "cost").find_elements(By.TAG_NAME, "tr"), "the cost table"
