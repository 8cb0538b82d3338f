// The photo step: live preview, countdown, snapshot (JPEG ~640x480 via a canvas), preview, retake, send.
// Sends through fetch to the same endpoint the file form posts to; the server answers with the next URL.
"use strict";

(() => {
  const root = document.querySelector("[data-capture]");
  if (!root) return;
  const $ = (selector) => root.querySelector(selector);
  const live = $("[data-live]");
  const video = $("[data-video]");
  const preview = $("[data-preview]");
  const countdownDisplay = $("[data-countdown-display]");
  const shoot = $("[data-shoot]");
  const send = $("[data-send]");
  const retake = $("[data-retake]");
  const showFile = $("[data-show-file]");
  const status = $("[data-status]");
  const errorBox = $("[data-error]");
  const form = $("[data-upload]");
  const message = (name) => root.dataset[`msg${name}`];

  const timings = { page_shown_ms: Date.now(), retakes: 0 };
  form.querySelector("[data-page-shown]").value = String(timings.page_shown_ms);
  let stream = null;
  let photo = null;
  let previewUrl = null;
  let busy = false;

  const say = (text) => { status.textContent = text || ""; };
  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function show(mode) {  // "live" | "preview" | "sending"
    const reviewing = mode !== "live";
    video.hidden = reviewing;
    preview.hidden = !reviewing;
    shoot.hidden = reviewing;
    shoot.disabled = false;
    send.hidden = !reviewing;
    retake.hidden = !reviewing;
    send.disabled = retake.disabled = mode === "sending";
  }

  function useFileInstead(note) {
    live.hidden = true;
    form.hidden = false;
    if (note) say(note);
  }

  function countdown(seconds) {
    return new Promise((resolve) => {
      let left = seconds;
      const tick = () => {
        if (left <= 0) {
          countdownDisplay.textContent = "";
          resolve();
          return;
        }
        countdownDisplay.textContent = String(left);
        say(String(left));
        left -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    });
  }

  function snapshot() {
    const width = video.videoWidth || 640;
    const height = video.videoHeight || 480;
    const scale = Math.min(1, 640 / width);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no image"))), "image/jpeg", 0.9);
    });
  }

  function failed(text) {
    busy = false;
    say("");
    show("preview");
    showError(text);
    retake.focus();
  }

  shoot.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    shoot.disabled = true;
    showError("");
    timings.countdown_started_ms = Date.now();
    await countdown(Number(root.dataset.countdown) || 3);
    try {
      photo = await snapshot();
    } catch (error) {
      busy = false;
      show("live");
      showError(message("Failed"));
      return;
    }
    timings.captured_ms = Date.now();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(photo);
    preview.src = previewUrl;
    show("preview");
    say(message("Taken"));
    busy = false;
    send.focus();
  });

  retake.addEventListener("click", () => {
    if (busy) return;
    timings.retakes += 1;
    photo = null;
    showError("");
    say("");
    show("live");
    shoot.focus();
  });

  send.addEventListener("click", async () => {
    if (busy || !photo) return;
    busy = true;
    show("sending");
    showError("");
    say(message("Sending"));
    const body = new FormData(form);
    timings.submitted_ms = Date.now();
    for (const [name, value] of Object.entries(timings)) body.set(name, String(value));
    body.set("source", "webcam");
    body.set("photo", photo, "snapshot.jpg");
    let answer = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json().catch(() => null);
    } catch (error) {
      failed(message("Network"));
      return;
    }
    if (answer && answer.next) {  // stored (or stored before): the server says where to go
      window.StudyCamera.stopCamera(stream);
      window.location.assign(answer.next);
      return;
    }
    failed((answer && answer.error) || message("Failed"));
  });

  showFile.addEventListener("click", () => {
    form.hidden = false;
    form.querySelector("input[type=file]").focus();
  });
  window.addEventListener("pagehide", () => window.StudyCamera.stopCamera(stream));

  (async () => {
    if (!window.StudyCamera.cameraSupported()) {
      useFileInstead(message("NoCamera"));
      return;
    }
    try {
      stream = await window.StudyCamera.openCamera(video);
    } catch (error) {
      useFileInstead(message("NoCamera"));
      return;
    }
    live.hidden = false;
    form.hidden = true;
    show("live");
  })();
})();
