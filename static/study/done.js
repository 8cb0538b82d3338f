// The done page: go on to the recruitment panel's completion link (a plain link without JavaScript).
"use strict";

(() => {
  const link = document.querySelector("a[data-forward-to]");
  if (link) setTimeout(() => window.location.assign(link.href), 2500);
})();
