// The player page's timestamp links, and its edit and delete actions, over the JSON API (hub.js adds the CSRF token).
(() => {
  "use strict";
  // A [m:ss] timestamp in the video's notes is a link to #t=SECONDS: seek there and play.
  const player = document.getElementById("player");
  // A video with an adaptive ladder plays it (adaptive.js), or else the file the page names.
  if (player && player.dataset.hls) {
    const fallback = () => { player.src = player.dataset.fallback; };
    if (window.hubAdaptive) {
      window.hubAdaptive.attach(player, player.dataset.hls, document.getElementById("quality-control")).then((ok) => ok || fallback());
    } else {
      fallback();
    }
  }
  // The page opened at a moment (`/videos/ID#t=83.5`, as search results link to what is said):
  // seek there once the player knows the video's length.
  const startAt = () => {
    const match = window.location.hash.match(/^#t=(\d+(?:\.\d+)?)$/);
    if (!player || !match) return;
    const seek = () => { player.currentTime = Math.min(Number(match[1]), player.duration || Infinity); };
    if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
  };
  startAt();
  window.addEventListener("hashchange", startAt);
  const notes = document.getElementById("video-notes");
  if (player && notes) {
    notes.addEventListener("click", (event) => {
      const link = event.target.closest('a[href^="#t="]');
      if (!link) return;
      event.preventDefault();
      player.currentTime = Number(link.getAttribute("href").slice(3));
      player.play().catch(() => {});
    });
  }

  const page = document.getElementById("player-page");
  const clock = (t) => {
    const whole = Math.floor(t);
    const hours = Math.floor(whole / 3600);
    const rest = `${String(Math.floor((whole % 3600) / 60)).padStart(hours ? 2 : 1, "0")}:${String(whole % 60).padStart(2, "0")}`;
    return hours ? `${hours}:${rest}` : rest;
  };

  // The seek strip under the player: the frame under the pointer, from the seek previews'
  // WebVTT thumbnails track (cues of "sheet.jpg#xywh=x,y,w,h"); a click seeks there. Hidden
  // until the video has previews, which may arrive while the page is open.
  const seek = document.getElementById("seek");
  let cues = [];
  const loadPreviews = (url) => {
    if (!seek || !url) return;
    seek.dataset.previews = url;
    const seconds = (stamp) => stamp.split(":").reduce((total, part) => total * 60 + Number(part), 0);
    fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((track) => {
        const lines = track.split("\n");
        const found = [];
        for (let i = 0; i < lines.length; i++) {
          const timing = lines[i].match(/^([\d:.]+) --> ([\d:.]+)/);
          const target = timing && (lines[i + 1] || "").match(/^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/);
          if (target) found.push({ start: seconds(timing[1]), end: seconds(timing[2]), url: target[1], x: +target[2], y: +target[3], w: +target[4], h: +target[5] });
        }
        cues = found;
        seek.hidden = cues.length === 0;
      })
      .catch(() => { cues = []; });
  };
  if (player && seek) {
    const preview = document.getElementById("seek-preview");
    const time = document.getElementById("seek-time");
    const played = document.getElementById("seek-played");
    const at = (event) => {
      const box = seek.getBoundingClientRect();
      const fraction = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
      return { fraction, seconds: fraction * (player.duration || 0), box };
    };
    seek.addEventListener("mousemove", (event) => {
      const { seconds: t, fraction, box } = at(event);
      const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
      if (!cue) return;
      preview.style.width = `${cue.w}px`;
      preview.style.height = `${cue.h}px`;
      preview.style.backgroundImage = `url("${cue.url}")`;
      preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      preview.style.left = `${Math.min(Math.max(fraction * box.width - cue.w / 2, 0), box.width - cue.w)}px`;
      time.textContent = clock(t);
      preview.hidden = false;
    });
    seek.addEventListener("mouseleave", () => { preview.hidden = true; });
    seek.addEventListener("click", (event) => {
      if (player.duration) player.currentTime = at(event).seconds;
    });
    player.addEventListener("timeupdate", () => {
      const fraction = player.duration ? player.currentTime / player.duration : 0;
      played.style.width = `${fraction * 100}%`;
      seek.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    });
    loadPreviews(seek.dataset.previews);
  }

  // A video still processing, or whose previews or adaptive ladder are still being made: ask
  // for it again and bring the page up to date in place, without a reload that would stop
  // playback. When it becomes ready the player gets its poster and what to play; previews turn
  // the seek strip on; a ladder that arrives is played only if playback has not started.
  const text = (id, value) => { const element = document.getElementById(id); if (element) element.textContent = value; };
  const show = (video) => {
    const banner = document.getElementById("processing-state");
    const retry = document.getElementById("retry");
    banner.hidden = video.status === "ready";
    text("state-label", video.status === "processing" ? `Processing ${Math.round((video.progress || 0) * 100)}%` : "Processing failed");
    text("failure", video.failure || "");
    if (retry) retry.hidden = video.status !== "failed";
    if (video.status !== "ready") return;
    if (page.dataset.status !== "ready") {
      page.dataset.status = "ready";
      if (video.thumbnailUrl) player.poster = video.thumbnailUrl;
      if (!video.hlsUrl && player.getAttribute("src") !== video.playbackUrl && player.paused) player.src = video.playbackUrl;
      text("detail-duration", video.durationSeconds === undefined ? "–" : clock(video.durationSeconds));
      text("detail-resolution", video.width ? `${video.width}×${video.height}` : "");
      text("detail-codecs", [video.videoCodec, video.audioCodec].filter(Boolean).join(" / "));
    }
    if (video.previewsUrl && seek && seek.dataset.previews !== video.previewsUrl) loadPreviews(video.previewsUrl);
    if (video.hlsUrl && !player.dataset.hls && player.paused && player.currentTime === 0 && window.hubAdaptive) {
      player.dataset.hls = video.hlsUrl;
      window.hubAdaptive.attach(player, video.hlsUrl, document.getElementById("quality-control"));
    }
  };
  if (page && player && (page.dataset.status === "processing" || page.dataset.pending)) {
    const poll = async () => {
      let again = true;
      try {
        const video = await window.hub.api("GET", `/api/v1/videos/${page.dataset.videoId}`);
        show(video);
        again = video.status === "processing" || (video.pendingWork || []).length > 0;
      } catch (error) {
        // A network blip: the next poll tries again.
      }
      if (again) window.setTimeout(poll, page.dataset.status === "processing" ? 1000 : 2000);
    };
    window.setTimeout(poll, 1000);
  }
  const form = document.getElementById("edit-form");
  if (!page || !form) return;
  const url = `/api/v1/videos/${page.dataset.videoId}`;
  const status = document.getElementById("edit-status");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      title: data.get("title"),
      description: data.get("description"),
      tags: String(data.get("tags")).split(",").map((t) => t.trim()).filter(Boolean),
      shared: form.elements.shared.checked,
    };
    try {
      await window.hub.api("PATCH", url, body);
      window.location.reload();
    } catch (error) {
      status.textContent = error.message;
    }
  });

  document.getElementById("delete").addEventListener("click", async () => {
    if (!window.confirm("Delete this video for everyone?")) return;
    try {
      await window.hub.api("DELETE", url);
      window.location.assign("/");
    } catch (error) {
      status.textContent = error.message;
    }
  });
})();
