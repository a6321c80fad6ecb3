// Shared by every page: the CSRF token for state-changing API calls, and the behaviour of
// forms and buttons marked with data-api (send JSON to the API, then move on or show the result).
// Pages have no inline script: the Content-Security-Policy forbids it.
(() => {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');

  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (meta) headers["X-CSRF-Token"] = meta.content;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (_) { data = null; }
    }
    if (!response.ok) {
      const error = new Error(data && data.error ? data.error.message : `Request failed (${response.status}).`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Only same-site paths, so a crafted ?next= cannot send someone elsewhere after signing in.
  // Browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil" would leave the site:
  // control characters and backslashes, raw or percent-encoded, are refused.
  function safeNext(path) {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) return "/";
    let decoded;
    try { decoded = decodeURIComponent(path); } catch (_) { return "/"; }
    const unsafe = /[\u0000-\u001f\u007f-\u009f\\]/;
    if (unsafe.test(path) || unsafe.test(decoded) || decoded.startsWith("//")) return "/";
    return new URL(path, window.location.origin).origin === window.location.origin ? path : "/";
  }

  function formBody(form) {
    const body = {};
    for (const element of form.elements) {
      if (!element.name) continue;
      if (element.type === "checkbox") body[element.name] = element.checked;
      else body[element.name] = element.value;
    }
    return body;
  }

  function done(element, data) {
    const field = element.dataset.show;
    const output = element.querySelector("[data-output]");
    if (field && output && data) {
      output.querySelector("code").textContent = data[field];
      output.hidden = false;
      return;
    }
    if (element.dataset.done) {
      element.querySelector(".form-error").textContent = element.dataset.done;
      return;
    }
    if (element.dataset.next !== undefined) window.location.assign(safeNext(element.dataset.next));
    else window.location.reload();
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.api) return;
    event.preventDefault();
    const message = form.querySelector(".form-error");
    if (message) message.textContent = "";
    try {
      done(form, await api(form.dataset.method || "POST", form.dataset.api, formBody(form)));
    } catch (error) {
      if (message) message.textContent = error.message;
    }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-api]");
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    try {
      done(button, await api(button.dataset.method || "POST", button.dataset.api, button.dataset.body ? JSON.parse(button.dataset.body) : undefined));
    } catch (error) {
      window.alert(error.message);
    }
  });

  window.hub = { api, csrfToken: () => (meta ? meta.content : "") };
})();
