// The notepad's pages over the JSON API (hub.js adds the CSRF token): the editor's live preview
// and save, sharing and deleting from a note's page, restoring an old version from its history.
(() => {
  "use strict";
  const status = document.getElementById("note-status");
  const say = (message) => { if (status) status.textContent = message; };

  const editor = document.getElementById("note-editor");
  if (editor) {
    const form = document.getElementById("note-form");
    const content = document.getElementById("note-content-input");
    const preview = document.getElementById("note-preview");
    const isNew = editor.dataset.new === "true";
    const videoId = editor.dataset.videoId;
    let timer = null;
    let sequence = 0;
    let dirty = false;

    // The preview is rendered by the server, exactly as the saved note will be (safe mode).
    async function refreshPreview() {
      const mine = ++sequence;
      try {
        const data = await window.hub.api("POST", "/api/v1/notes/preview", { content: content.value, timestamps: Boolean(videoId) });
        if (mine === sequence) preview.innerHTML = data.html;
      } catch (error) {
        say(error.message);
      }
    }
    content.addEventListener("input", () => {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(refreshPreview, 250);
    });
    if (!preview.innerHTML.trim() && content.value) refreshPreview();

    window.addEventListener("beforeunload", (event) => {
      if (dirty) event.preventDefault();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say("");
      const body = {
        title: form.elements.title.value,
        content: content.value,
        tags: form.elements.tags.value.split(",").map((t) => t.trim()).filter(Boolean),
      };
      try {
        let note;
        if (isNew) {
          if (form.elements.shared) body.shared = form.elements.shared.checked;
          if (videoId) body.videoId = videoId;
          note = await window.hub.api("POST", "/api/v1/notes", body);
        } else {
          // The version this editor started from: a save based on it merges with whatever
          // others saved meanwhile instead of overwriting it.
          body.baseVersion = Number(editor.dataset.version);
          note = await window.hub.api("PATCH", `/api/v1/notes/${editor.dataset.noteId}`, body);
        }
        dirty = false;
        window.location.assign(`/notes/${note.id}${note.merged ? "?merged=1" : ""}`);
      } catch (error) {
        say(error.message);
      }
    });
  }

  const page = document.getElementById("note-page");
  if (page) {
    const url = `/api/v1/notes/${page.dataset.noteId}`;
    if (new URLSearchParams(window.location.search).get("merged")) {
      say("Someone else saved this note while you were editing it; both changes were kept.");
    }
    const share = document.getElementById("share-toggle");
    const shareDialog = document.getElementById("share-dialog");
    if (share) {
      share.addEventListener("click", async () => {
        try {
          if (share.dataset.shared === "true") {
            await window.hub.api("POST", `${url}/unshare`);
            window.location.reload();
            return;
          }
          // Sharing exposes the whole history: the dialog says so and offers the current version only.
          shareDialog.returnValue = "cancel";
          shareDialog.showModal();
        } catch (error) {
          say(error.message);
        }
      });
    }
    if (shareDialog) {
      shareDialog.addEventListener("close", async () => {
        const history = shareDialog.returnValue;
        if (history !== "all" && history !== "none") return;
        try {
          const note = await window.hub.api("POST", `${url}/share`, { history });
          window.location.assign(`/notes/${note.id}`);
        } catch (error) {
          say(error.message);
        }
      });
    }
    const remove = document.getElementById("delete-note");
    if (remove) {
      remove.addEventListener("click", async () => {
        if (!window.confirm("Move this note to the trash? You can restore it for 30 days.")) return;
        try {
          await window.hub.api("DELETE", url);
          window.location.assign("/notes?view=trash");
        } catch (error) {
          say(error.message);
        }
      });
    }
  }

  const history = document.getElementById("note-history-page");
  const restore = document.getElementById("restore-version");
  if (history && restore) {
    restore.addEventListener("click", async () => {
      try {
        const note = await window.hub.api("POST", `/api/v1/notes/${history.dataset.noteId}/versions/${restore.dataset.version}/restore`);
        window.location.assign(`/notes/${note.id}`);
      } catch (error) {
        say(error.message);
      }
    });
  }
})();
