// Upload page: drag and drop or choose files; each file goes in its own request with
// a progress bar, then its processing is followed by polling the status endpoint.
// Without this script the form still works as a plain multipart POST.
(function () {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) return;
  document.documentElement.classList.add("js");

  const input = document.getElementById("upload-input");
  const zone = document.getElementById("drop-zone");
  const list = document.getElementById("upload-list");
  const text = JSON.parse(document.getElementById("upload-messages").textContent);
  const maxBytes = Number(form.dataset.maxBytes);
  const maxMb = form.dataset.maxMb;
  const accepted = form.dataset.accept.split(",");
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const POLL_MS = 1500;
  const PARALLEL = 2; // enough to keep the line busy without starving the server

  const waiting = [];
  let running = 0;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
  }

  function addItem(file) {
    const item = document.createElement("li");
    item.className = "upload-item";
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const state = document.createElement("div");
    state.className = "state";
    item.append(name, bar, state);
    list.prepend(item);
    return { item, bar, state };
  }

  function showError(view, message) {
    view.item.classList.add("is-error");
    view.bar.hidden = true;
    view.state.textContent = message;
  }

  function accept(files) {
    for (const file of files) {
      const view = addItem(file);
      const dot = file.name.lastIndexOf(".");
      const ext = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
      if (!accepted.includes(ext)) {
        showError(view, text.badType);
      } else if (file.size > maxBytes) {
        // Refused here so a too-large file never leaves the browser.
        showError(view, fill(text.tooLarge, { limit: maxMb }));
      } else {
        view.state.textContent = text.uploading;
        waiting.push({ file, view });
      }
    }
    pump();
  }

  function pump() {
    while (running < PARALLEL && waiting.length) {
      const job = waiting.shift();
      running += 1;
      send(job.file, job.view, () => {
        running -= 1;
        pump();
      });
    }
  }

  function send(file, view, done) {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) view.bar.value = (event.loaded / event.total) * 100;
    };
    xhr.upload.onload = () => {
      view.bar.value = 100;
      view.state.textContent = text.processing;
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        view.item.dataset.documentId = body.id;
        follow(body.status_url, view);
      } else {
        showError(view, (body && body.error) || text.failed);
      }
      done();
    };
    xhr.onerror = () => {
      showError(view, text.networkError);
      done();
    };
    const data = new FormData();
    data.append("file", file);
    xhr.send(data);
  }

  function follow(statusUrl, view) {
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((status) => {
        view.item.dataset.status = status.status;
        if (status.status === "failed") {
          showError(view, status.error || text.failed);
        } else if (status.status === "ready") {
          view.item.classList.add("is-ready");
          view.bar.hidden = true;
          const link = document.createElement("a");
          link.className = "open-link";
          link.href = status.url;
          link.textContent = text.open;
          view.state.replaceChildren(status.status_label + " · ", link);
        } else {
          view.state.textContent = status.status_label + "…";
          setTimeout(() => follow(statusUrl, view), POLL_MS);
        }
      })
      .catch(() => setTimeout(() => follow(statusUrl, view), POLL_MS * 2));
  }

  input.addEventListener("change", () => {
    accept(Array.from(input.files));
    input.value = ""; // choosing the same file again should upload it again
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    accept(Array.from(input.files));
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragover");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragover");
    accept(Array.from(event.dataTransfer.files));
  });
})();
