// Camera helpers shared by the study pages, and the camera check page itself.
// Plain script (no build step, no inline code): pages pass text through data-* attributes.
"use strict";

(() => {
  const CONSTRAINTS = {
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
  };

  function cameraSupported() {
    return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  async function openCamera(video) {
    const stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    return stream;
  }

  function stopCamera(stream) {
    if (stream) stream.getTracks().forEach((track) => track.stop());
  }

  window.StudyCamera = { cameraSupported, openCamera, stopCamera };

  const check = document.querySelector("[data-camera-check]");
  if (!check) return;
  const video = check.querySelector("[data-video]");
  const placeholder = check.querySelector("[data-placeholder]");
  const start = check.querySelector("[data-start]");
  const status = check.querySelector("[data-status]");
  const fallbackNote = check.querySelector("[data-fallback-note]");
  let stream = null;

  function fallback(message) {
    status.textContent = message;
    fallbackNote.hidden = false;
    start.hidden = true;
  }

  if (!cameraSupported()) {
    fallback(check.dataset.msgUnsupported);
    return;
  }
  start.hidden = false;
  start.addEventListener("click", async () => {
    start.disabled = true;
    status.textContent = check.dataset.msgAsking;
    try {
      stream = await openCamera(video);
    } catch (error) {
      fallback(check.dataset.msgFailed);
      return;
    }
    placeholder.hidden = true;
    start.hidden = true;
    status.textContent = check.dataset.msgWorking;
  });
  window.addEventListener("pagehide", () => stopCamera(stream));
})();
