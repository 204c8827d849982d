// A venue's big screen: one click to go full-screen with sound, a clock, and the check-in dialog
// (sent without leaving the page, so the video keeps playing).
(function () {
  "use strict";
  var root = document.querySelector(".venue-root");
  if (!root) { return; }
  var S = window.DJLive ? window.DJLive.strings : {};
  var start = root.querySelector("[data-start-overlay]");
  var startButton = root.querySelector("[data-start]");
  if (startButton) {
    startButton.addEventListener("click", function () {
      start.hidden = true;
      var video = root.querySelector("[data-player]");
      if (video) { video.muted = false; if (video.src || video.currentSrc) { video.play().catch(function () {}); } }
      if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen().catch(function () {}); }
    });
  }

  var clock = root.querySelector("[data-clock]");
  function tickClock() {
    if (clock) { clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false }); }
  }
  tickClock();
  setInterval(tickClock, 10000);

  var dialog = root.querySelector("[data-checkin-dialog]");
  var form = root.querySelector("[data-checkin-form]");
  var error = root.querySelector("[data-checkin-error]");
  var stateLine = root.querySelector("[data-checkin-state]");
  var open = root.querySelector("[data-checkin-open]");
  if (open && dialog) {
    open.addEventListener("click", function () { if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); } });
    root.querySelector("[data-checkin-close]").addEventListener("click", function () { dialog.close(); });
  }
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      error.hidden = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new FormData(form),
        headers: { "Accept": "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value }
      }).then(function (r) { return r.json(); }).then(function (reply) {
        button.disabled = false;
        if (!reply.ok) { error.textContent = reply.error; error.hidden = false; return; }
        stateLine.textContent = window.DJLive.fmt(S.checkedIn, { n: reply.headcount });
        root.dataset.checkedIn = "1";
        dialog.close();
      }).catch(function () {
        button.disabled = false;
        error.textContent = S.offline;
        error.hidden = false;
      });
    });
  }
})();
