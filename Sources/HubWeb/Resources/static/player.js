// The player page's edit and delete actions, over the JSON API.
(() => {
  "use strict";
  const page = document.getElementById("player-page");
  if (!page) return;
  const api = `/api/v1/videos/${page.dataset.videoId}`;
  const form = document.getElementById("edit-form");
  const status = document.getElementById("edit-status");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      title: data.get("title"),
      description: data.get("description"),
      tags: String(data.get("tags")).split(",").map((t) => t.trim()).filter(Boolean),
    };
    const response = await fetch(api, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (response.ok) {
      window.location.reload();
    } else {
      status.textContent = (await response.json()).error.message;
    }
  });

  document.getElementById("delete").addEventListener("click", async () => {
    if (!window.confirm("Delete this video for everyone?")) return;
    const response = await fetch(api, { method: "DELETE" });
    if (response.ok) window.location.assign("/");
    else status.textContent = (await response.json()).error.message;
  });
})();
