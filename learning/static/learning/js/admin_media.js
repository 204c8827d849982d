/* Wagtail admin, media file page: follow the conversion live (status, progress bar, error). */
(function () {
  "use strict";
  var box = document.querySelector("[data-media-status]");
  if (!box) return;
  var bar = box.querySelector("[data-bar]"), percent = box.querySelector("[data-percent]");
  var label = box.querySelector("[data-label]"), error = box.querySelector("[data-error]");
  var retry = box.querySelector("[data-retry]"), cancel = box.querySelector("[data-cancel]");
  var wasRunning = box.dataset.running === "1";
  function poll() {
    fetch(box.dataset.mediaStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.progress;
        percent.textContent = Math.round(s.progress * 100) + "%";
        label.textContent = s.label;
        error.hidden = !s.error;
        error.textContent = s.error || "";
        retry.hidden = !s.can_retry;
        cancel.hidden = !s.can_cancel;
        if (s.running || s.status === "queued") { wasRunning = true; setTimeout(poll, 1000); }
        else if (wasRunning) { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
