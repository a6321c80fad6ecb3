// The player page's timestamp links, and its edit and delete actions, over the JSON API (hub.js adds the CSRF token).
(() => {
  "use strict";
  // A [m:ss] timestamp in the video's notes is a link to #t=SECONDS: seek there and play.
  const player = document.getElementById("player");
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

  // A video still processing: ask for it every second and show its progress; once it is ready
  // (its thumbnail, duration and codecs are known, its bytes perhaps rewritten) reload the page.
  const stateLabel = document.getElementById("state-label");
  if (page && page.dataset.status === "processing") {
    const poll = async () => {
      try {
        const video = await window.hub.api("GET", `/api/v1/videos/${page.dataset.videoId}`);
        if (video.status !== "processing") { window.location.reload(); return; }
        stateLabel.textContent = `Processing ${Math.round((video.progress || 0) * 100)}%`;
      } catch (error) {
        // A network blip: the next poll tries again.
      }
      window.setTimeout(poll, 1000);
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
