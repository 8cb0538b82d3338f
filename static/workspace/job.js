// Background export: poll the job's JSON, move the progress bar, reveal the download when done.
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 2000;
  var bar = root.querySelector("[data-progress]");
  var link = root.querySelector("[data-download]");

  function render(job) {
    root.querySelectorAll("[data-field]").forEach(function (node) {
      var value = job[node.getAttribute("data-field")];
      node.textContent = value === null || value === undefined ? "" : String(value);
    });
    bar.max = Math.max(job.total || 0, 1);
    bar.value = job.status === "done" ? bar.max : (job.done || 0);
    link.hidden = job.status !== "done";
    return job.status === "done" || job.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (job) { if (!render(job)) { window.setTimeout(poll, interval); } })
      .catch(function () { window.setTimeout(poll, interval * 2); });
  }
  poll();
})();
