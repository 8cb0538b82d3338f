// A rating item: the client's own response time (page shown → answer sent), in ms since the epoch.
"use strict";

(() => {
  const form = document.querySelector("form[data-rating-form]");
  if (!form) return;
  const shown = form.querySelector("input[name=shown_ms]");
  const answered = form.querySelector("input[name=answered_ms]");
  const image = form.querySelector(".rating-photo img");
  const start = () => { if (shown && !shown.value) shown.value = String(Date.now()); };
  // The clock starts when the face is on screen, not when the page began loading.
  if (image && !image.complete) image.addEventListener("load", start, { once: true });
  else start();
  form.addEventListener("submit", () => {
    if (answered) answered.value = String(Date.now());
  });
})();
