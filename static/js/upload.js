// Upload with drag and drop, then follow the import and the enrichment until both finish.
// Without JavaScript the form posts normally and the page shows the same report.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const report = document.getElementById("import-report");
  if (!form || !report) return;

  const input = form.querySelector("input[type=file]");
  const dropzone = document.getElementById("dropzone");
  const chosen = document.getElementById("chosen-files");
  const button = document.getElementById("upload-button");
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const phase = document.getElementById("upload-phase");
  const percent = document.getElementById("upload-percent");
  const errorBox = document.getElementById("upload-error");
  const POLL_MS = 1000;

  function showChosen() {
    const names = Array.from(input.files).map((f) => f.name);
    chosen.textContent = names.length ? "Selected: " + names.join(", ") : "";
  }

  function setProgress(label, value, text) {
    box.hidden = false;
    phase.textContent = label;
    if (value === null) {
      bar.removeAttribute("value"); // indeterminate while the server works
      percent.textContent = text || "";
    } else {
      bar.value = value;
      percent.textContent = text !== undefined ? text : value + "%";
    }
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    box.hidden = true;
    button.disabled = false;
  }

  ["dragenter", "dragover"].forEach((name) =>
    dropzone.addEventListener(name, (event) => {
      event.preventDefault();
      dropzone.classList.add("is-dragover");
    })
  );
  ["dragleave", "drop"].forEach((name) =>
    dropzone.addEventListener(name, () => dropzone.classList.remove("is-dragover"))
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showChosen();
    }
  });
  input.addEventListener("change", showChosen);

  function describe(state) {
    if (!state.import_finished) {
      return state.status === "queued" ? "Upload complete · import queued" : "Importing your plays…";
    }
    if (state.status === "failed") return "Import refused";
    const e = state.enrichment;
    if (!e || state.finished) return "Import finished";
    let text = "Import finished · matching tracks and fetching features: " + e.status_label.toLowerCase();
    if (e.next_retry_at) text += " (next attempt " + new Date(e.next_retry_at).toLocaleTimeString() + ")";
    return text;
  }

  // Poll quickly while the import runs, slower while enrichment runs (it can take
  // minutes), and not before a rate-limited source's next attempt.
  function nextPollIn(state) {
    if (!state.import_finished) return POLL_MS;
    const retry = state.enrichment && state.enrichment.next_retry_at;
    const wait = retry ? new Date(retry).getTime() - Date.now() : 0;
    return Math.min(Math.max(3 * POLL_MS, wait), 60 * POLL_MS);
  }

  function poll(url) {
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error("Progress unavailable (HTTP " + response.status + ")");
        return response.json();
      })
      .then((state) => {
        report.innerHTML = state.report_html;
        const e = state.enrichment;
        if (!state.import_finished) {
          setProgress(describe(state), null);
        } else if (e && !state.finished) {
          setProgress(describe(state), e.percent, e.done + " done · " + e.remaining + " remaining");
        } else {
          setProgress(describe(state), 100, "");
          button.disabled = false;
          return;
        }
        if (state.import_finished) button.disabled = false;
        window.setTimeout(() => poll(url), nextPollIn(state));
      })
      .catch((error) => showError(error.message));
  }

  // Why the server refused the upload, in its own words: the page's refusals carry
  // "error"; the site-wide body-size limit answers 413 in the API's shape, "detail".
  function refusal(status, body) {
    if (body.error) return body.error;
    if (body.detail) return "Upload refused: " + body.detail;
    if (status === 413) return "Upload refused: it is larger than the server accepts.";
    return "The upload failed (HTTP " + status + ").";
  }

  form.addEventListener("submit", (event) => {
    if (!window.FormData || !window.XMLHttpRequest) return; // plain form post
    event.preventDefault();
    errorBox.hidden = true;
    if (!input.files.length) {
      showError("Choose your export's zip or its JSON files first.");
      return;
    }
    button.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setProgress("Uploading…", Math.round((100 * e.loaded) / e.total));
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status === 202 && body.progress_url) {
        setProgress("Upload complete, import queued…", null);
        poll(body.progress_url);
      } else {
        showError(refusal(xhr.status, body));
      }
    });
    xhr.addEventListener("error", () => showError("The upload failed: the connection was lost."));
    setProgress("Uploading…", 0);
    xhr.send(new FormData(form));
  });

  // An import still running when the page was opened: keep following it.
  if (report.dataset.pollUrl) poll(report.dataset.pollUrl);
})();
