// Live monitoring: poll the experiment's JSON and update every [data-field] in place.
// Loaded as a file (no inline script) so a strict Content-Security-Policy does not break the page.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 5000;

  function lookup(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, data);
  }

  function render(data) {
    document.querySelectorAll("[data-field]").forEach(function (node) {
      var value = lookup(data, node.getAttribute("data-field"));
      var text = value === null || value === undefined ? "–" : String(value);
      if (node.textContent !== text) {
        node.textContent = text;
        node.classList.add("changed");
        window.setTimeout(function () { node.classList.remove("changed"); }, 1500);
      }
    });
  }

  function poll() {
    if (document.hidden) { return window.setTimeout(poll, interval); }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(render)
      .catch(function () { /* keep the last numbers; try again next tick */ })
      .then(function () { window.setTimeout(poll, interval); });
  }
  window.setTimeout(poll, interval);
})();
