// Photo browser: draw each model's face box over its photo (boxes are in image pixels).
(function () {
  "use strict";
  document.querySelectorAll("figure.photo").forEach(function (figure) {
    var width = parseFloat(figure.getAttribute("data-width"));
    var height = parseFloat(figure.getAttribute("data-height"));
    figure.querySelectorAll(".face-box").forEach(function (box) {
      var b = box.getAttribute("data-box").split(",").map(parseFloat);
      if (b.length !== 4 || !width || !height) { return; }
      box.style.left = (100 * b[0] / width) + "%";
      box.style.top = (100 * b[1] / height) + "%";
      box.style.width = (100 * b[2] / width) + "%";
      box.style.height = (100 * b[3] / height) + "%";
      box.hidden = false;
    });
  });
})();
