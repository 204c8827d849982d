// Podcast addresses: a click or focus selects the whole address, ready to copy (no inline handlers: CSP).
"use strict";
document.querySelectorAll("input[data-select-on-click]").forEach((input) => {
  input.addEventListener("click", () => input.select());
  input.addEventListener("focus", () => input.select());
});
