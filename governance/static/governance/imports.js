/* An Excel import's page: follow the job (status, progress bar) until it ends, then show its report. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var bar = box.querySelector("[data-bar]"), percent = box.querySelector("[data-percent]");
  var label = box.querySelector("[data-label]"), stalled = box.querySelector("[data-stalled]");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        bar.value = s.progress;
        percent.textContent = Math.round(s.progress * 100) + "%";
        label.textContent = s.label;
        stalled.hidden = !s.stalled;
        if (s.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 500);
})();
