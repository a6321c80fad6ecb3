"""Captions: owners attach WebVTT or SRT files per language (SRT becomes WebVTT), malformed files
are refused with the line, and the player offers the tracks."""
import json
import os

from helpers import api, create_upload, finish_upload
from conftest import fake_mp4

SRT = "1\r\n00:00:01,000 --> 00:00:03,500\r\nHello from the launch review\r\n\r\n2\r\n00:00:04,000 --> 00:00:06,000\r\nSecond line\r\n"


def put(hub, video, language, text, token=None, label=None):
    path = f"/api/v1/videos/{video}/captions/{language}" + (f"?label={label}" if label else "")
    status, _, body = hub.request(path, "PUT", {"Content-Type": "text/plain"}, text.encode() if isinstance(text, str) else text, token=token)
    return status, json.loads(body) if body else None


def test_captions_are_attached_converted_replaced_offered_and_removed(hub):
    data = fake_mp4(200_000, seed=31)
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "talk.mp4"}), 0, data)
    status, track = put(hub, video, "en", SRT, label="English")
    assert status == 201 and track == {"language": "en", "label": "English", "cues": 2, "url": f"/api/v1/videos/{video}/captions/en"}
    status, headers, vtt = hub.request(track["url"])
    assert status == 200 and headers["Content-Type"].startswith("text/vtt")
    assert vtt.decode() == ("WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nHello from the launch review\n\n"
                            "00:00:04.000 --> 00:00:06.000\nSecond line\n")
    assert put(hub, video, "pt-BR", "WEBVTT\n\n00:01.000 --> 00:02.000\nOlá\n")[0] == 201
    assert put(hub, video, "en", "WEBVTT\n\n00:01.000 --> 00:02.000\nReplaced\n")[1]["cues"] == 1, "one track per language"
    status, body = api(hub, f"/api/v1/videos/{video}")
    assert [(c["language"], c["label"]) for c in body["captions"]] == [("en", "en"), ("pt-BR", "pt-BR")]
    _, _, page = hub.request(f"/videos/{video}")
    assert f'<track kind="captions" srclang="pt-BR" label="pt-BR" src="/api/v1/videos/{video}/captions/pt-BR">'.encode() in page

    assert hub.request(f"/api/v1/videos/{video}/captions/en", "DELETE")[0] == 204
    assert hub.request(f"/api/v1/videos/{video}/captions/en")[0] == 404
    assert [c["language"] for c in api(hub, f"/api/v1/videos/{video}")[1]["captions"]] == ["pt-BR"]
    assert hub.request(f"/api/v1/videos/{video}", "DELETE")[0] == 204
    objects = os.path.join(hub.workdir, "uploads", "objects")
    assert not [f for _, _, files in os.walk(objects) for f in files if f.endswith(".vtt")], "captions go with the video"


def test_malformed_oversized_unauthorised_and_misnamed_captions_are_refused_and_change_nothing(hub):
    data = fake_mp4(200_000, seed=32)
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "talk.mp4", "shared": "true"}), 0, data)
    assert put(hub, video, "en", SRT)[0] == 201
    status, body = put(hub, video, "en", SRT.replace("00:00:04,000", "00:00:4,000"))
    assert status == 400 and body["error"]["code"] == "invalid_captions" and body["error"]["message"].startswith("line 6:"), body
    status, body = put(hub, video, "english", SRT)
    assert status == 400 and body["error"]["code"] == "invalid_language"
    status, body = put(hub, video, "en", b"\xff\xfe\x00binary")
    assert status == 400 and body["error"]["code"] == "invalid_captions"
    status, body = put(hub, video, "en", "WEBVTT\n\n" + "00:01.000 --> 00:02.000\n" + "x" * (3 << 20) + "\n")
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    hub.add_user("bob", "bob-password")
    bob = hub.create_token("bob")
    status, body = put(hub, video, "fr", SRT, token=bob)
    assert status == 403 and body["error"]["code"] == "forbidden", "a shared video's captions are its owner's to change"
    assert hub.request(f"/api/v1/videos/{video}/captions/en", "DELETE", token=bob)[0] == 403
    assert hub.request(f"/api/v1/videos/{video}/captions/en", token=bob)[0] == 200, "but everyone who sees it reads them"
    status, _, vtt = hub.request(f"/api/v1/videos/{video}/captions/en")
    assert status == 200 and b"Hello from the launch review" in vtt, "the refused files changed nothing"
    assert hub.request(f"/api/v1/videos/{video}/captions/de", "DELETE")[0] == 404


def test_the_command_line_attaches_captions(hub, tmp_path):
    data = fake_mp4(200_000, seed=33)
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "talk.mp4"}), 0, data)
    (tmp_path / "talk.srt").write_text(SRT)
    out = hub.cli("videos", "captions", "add", video, str(tmp_path / "talk.srt"), "--lang", "en", "--label", "English",
                  "--server", hub.url, "--token", hub.token)
    assert out.stdout.strip() == "en\t2 cues\tEnglish"
    (tmp_path / "broken.srt").write_text("1\n00:00:09,000 --> 00:00:01,000\nbackwards\n")
    out = hub.cli("videos", "captions", "add", video, str(tmp_path / "broken.srt"), "--lang", "en",
                  "--server", hub.url, "--token", hub.token, check=False)
    assert out.returncode != 0 and "line 2: the cue ends before it starts" in out.stderr, out.stderr


def test_a_search_finds_words_spoken_in_a_video_and_links_to_the_moment(hub):
    data = fake_mp4(200_000, seed=32)
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "review.mp4", "title": "Quarterly"}), 0, data)
    other = finish_upload(hub, create_upload(hub, len(data), {"filename": "walk.mp4", "title": "Walk"}), 0, data)
    assert put(hub, video, "en", SRT)[0] == 201
    assert put(hub, other, "en", "WEBVTT\n\n00:00.000 --> 00:01.000\nNothing said here\n")[0] == 201
    status, found = api(hub, "/api/v1/videos?q=launch")
    assert status == 200 and [v["id"] for v in found["items"]] == [video], "a word only spoken finds its video"
    assert found["items"][0]["captionMatches"] == [
        {"language": "en", "start": 1.0, "text": "Hello from the launch review", "url": f"/videos/{video}#t=1.000"}]
    assert "captionMatches" not in api(hub, "/api/v1/videos")[1]["items"][0], "only a search has moments"
    assert api(hub, "/api/v1/videos?q=quarterly")[1]["items"][0]["captionMatches"] == [], "found by its title, not by what it says"
    _, _, page = hub.request("/?q=launch")
    assert f'<a href="/videos/{video}#t=1.000"><time>0:01</time> Hello from the launch review</a>'.encode() in page
    # Other members see neither the private video nor what it says; nor does a search survive the captions.
    hub.add_user("member", "member-password")
    member = hub.create_token("member")
    assert api(hub, "/api/v1/videos?q=launch", token=member)[1]["items"] == []
    assert hub.request(f"/api/v1/videos/{video}/captions/en", "DELETE")[0] == 204
    assert api(hub, "/api/v1/videos?q=launch")[1]["items"] == []
    for hostile in ["\"", "launch*", "' OR 1=1 --", "NEAR(a b)", "x" * 300]:
        status, body = api(hub, "/api/v1/videos?q=" + __import__("urllib.parse").parse.quote(hostile))
        assert status in (200, 400) and ("items" in body or body["error"]["code"]), hostile
