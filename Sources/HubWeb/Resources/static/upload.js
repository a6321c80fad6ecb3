// Resumable uploads from the browser over tus 1.0.0 (no library: the protocol is four requests).
// The upload URL is remembered per file in localStorage, so after a network drop the loop asks
// the server for its offset and continues, and after a page reload choosing the same file again
// resumes where it stopped instead of starting over.
(() => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const endpoint = form.dataset.endpoint;
  const maxBytes = Number(form.dataset.maxBytes);
  const chunkSize = 8 * 1024 * 1024;
  const input = document.getElementById("file");
  const dropZone = document.getElementById("drop-zone");
  const dropLabel = document.getElementById("drop-label");
  const pauseButton = document.getElementById("pause");
  const startButton = document.getElementById("start");
  const progressBox = document.getElementById("progress-box");
  const progress = document.getElementById("progress");
  const progressText = document.getElementById("progress-text");
  const status = document.getElementById("status");

  let file = null;
  let paused = false;
  let running = false;
  let currentRequest = null;

  const setStatus = (text) => { status.textContent = text; };
  const fingerprint = (f) => `streamhub-upload:${f.name}:${f.size}:${f.lastModified}:${f.type}`;

  function choose(f) {
    file = f;
    dropLabel.textContent = `${f.name} (${formatBytes(f.size)})`;
    const title = document.getElementById("title");
    if (!title.value) title.value = f.name.replace(/\.[^.]+$/, "");
    if (localStorage.getItem(fingerprint(f))) setStatus("This file was partly uploaded before; Upload resumes it.");
  }

  input.addEventListener("change", () => { if (input.files.length) choose(input.files[0]); });
  ["dragenter", "dragover"].forEach((type) => dropZone.addEventListener(type, (event) => {
    event.preventDefault();
    dropZone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => dropZone.addEventListener(type, () => dropZone.classList.remove("over")));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!file) { setStatus("Choose a video first."); return; }
    if (file.size > maxBytes) { setStatus(`That file is larger than this hub accepts (${formatBytes(maxBytes)}).`); return; }
    paused = false;
    if (!running) run();
  });
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    pauseButton.textContent = paused ? "Resume" : "Pause";
    if (paused && currentRequest) currentRequest.abort();
    if (!paused && !running) run();
  });
  window.addEventListener("online", () => { if (file && !paused && !running) run(); });

  async function run() {
    running = true;
    startButton.disabled = true;
    pauseButton.hidden = false;
    progressBox.hidden = false;
    let delay = 1000;
    while (!paused) {
      try {
        const videoId = await uploadOnce();
        if (videoId) { finished(videoId); break; }
      } catch (error) {
        if (error.fatal) { setStatus(error.message); localStorage.removeItem(fingerprint(file)); break; }
        if (paused) break;
        setStatus(`Connection lost; retrying in ${Math.round(delay / 1000)} s…`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30000);
      }
    }
    if (paused) setStatus("Paused.");
    running = false;
    startButton.disabled = false;
  }

  // Creates or resumes the upload, then sends chunks until the server answers with a video id.
  async function uploadOnce() {
    const key = fingerprint(file);
    let url = localStorage.getItem(key);
    let offset = 0;
    if (url) {
      const head = await request("HEAD", url, {});
      if (head.status === 200) {
        offset = Number(head.getResponseHeader("Upload-Offset"));
        const done = head.getResponseHeader("Stream-Hub-Video-Id");
        if (done) return done;
        if (offset > 0) setStatus(`Resuming at ${percent(offset)}%…`);
      } else if (head.status === 404 || head.status === 410) {
        url = null;
      } else {
        throw retryable(`Server answered ${head.status}`);
      }
    }
    if (!url) {
      const metadata = {
        filename: file.name,
        filetype: file.type,
        title: document.getElementById("title").value,
        description: document.getElementById("description").value,
        tags: document.getElementById("tags").value,
        shared: document.getElementById("shared").checked ? "true" : "false",
      };
      const created = await request("POST", endpoint, {
        "Upload-Length": String(file.size),
        "Upload-Metadata": Object.entries(metadata).map(([k, v]) => `${k} ${base64(v)}`).join(","),
      });
      if (created.status !== 201) throw failure(created);
      url = new URL(created.getResponseHeader("Location"), window.location.href).pathname;
      localStorage.setItem(key, url);
    }
    setProgress(offset);
    while (true) {
      const end = Math.min(offset + chunkSize, file.size);
      const patch = await request("PATCH", url, {
        "Upload-Offset": String(offset),
        "Content-Type": "application/offset+octet-stream",
      }, file.slice(offset, end), (sent) => setProgress(offset + sent));
      if (patch.status === 409 || patch.status === 423) throw retryable("The server is at another offset; re-syncing");
      if (patch.status !== 204) throw failure(patch);
      offset = Number(patch.getResponseHeader("Upload-Offset"));
      setProgress(offset);
      const videoId = patch.getResponseHeader("Stream-Hub-Video-Id");
      if (videoId) return videoId;
      if (paused) return null;
      setStatus(`Uploading… ${percent(offset)}%`);
    }
  }

  function finished(videoId) {
    localStorage.removeItem(fingerprint(file));
    setProgress(file.size);
    pauseButton.hidden = true;
    status.textContent = "";
    const link = document.createElement("a");
    link.href = `/videos/${videoId}`;
    link.id = "watch-link";
    link.textContent = "Uploaded. Watch it →";
    status.appendChild(link);
    status.dataset.videoId = videoId;
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      currentRequest = xhr;
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("X-CSRF-Token", window.hub.csrfToken());
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(retryable("network error"));
      xhr.onabort = () => reject(retryable("aborted"));
      xhr.send(body === undefined ? null : body);
    });
  }

  function failure(xhr) {
    let message = `Upload failed (${xhr.status}).`;
    try { message = JSON.parse(xhr.responseText).error.message; } catch (_) { /* keep the generic text */ }
    const retry = xhr.status >= 500 && xhr.status !== 507;
    const error = new Error(message);
    error.fatal = !retry;
    return error;
  }
  function retryable(message) { const error = new Error(message); error.fatal = false; return error; }
  function setProgress(bytes) {
    const value = file.size === 0 ? 100 : (bytes / file.size) * 100;
    progress.value = value;
    progressText.textContent = `${value.toFixed(1)}%`;
  }
  function percent(bytes) { return file.size === 0 ? 100 : Math.floor((bytes / file.size) * 100); }
  function base64(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }
  function formatBytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
})();
