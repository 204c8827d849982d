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

  // The countdown to the scheduled start (the waiting panel hides itself by CSS once the event is live).
  var countdown = root.querySelector("[data-countdown]");
  var startsAt = countdown ? Date.parse(countdown.dataset.start) : NaN;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tickCountdown() {
    if (!countdown || isNaN(startsAt)) { return; }
    var left = Math.floor((startsAt - Date.now()) / 1000);
    if (left <= 0) { countdown.textContent = countdown.dataset.labelSoon; return; }
    var days = Math.floor(left / 86400), rest = left % 86400;
    var text = two(Math.floor(rest / 3600)) + ":" + two(Math.floor(rest % 3600 / 60)) + ":" + two(rest % 60);
    countdown.textContent = (days ? window.DJLive.fmt(S.days || "%(n)s d", { n: days }) + " " : "") + text;
  }
  tickCountdown();
  setInterval(tickCountdown, 1000);
  // live.js reveals the replay link when the replay is published; the "will be offered" line goes.
  var pending = root.querySelector("[data-replay-pending]");
  var replayLink = root.querySelector("[data-replay-link]");
  if (pending && replayLink && window.MutationObserver) {
    new MutationObserver(function () { pending.hidden = !replayLink.hidden; })
      .observe(replayLink, { attributes: true, attributeFilter: ["hidden"] });
  }

  var dialog = root.querySelector("[data-checkin-dialog]");
  var form = root.querySelector("[data-checkin-form]");
  var error = root.querySelector("[data-checkin-error]");
  var stateLine = root.querySelector("[data-checkin-state]");
  var open = root.querySelector("[data-checkin-open]");
  if (open && dialog) {
    open.addEventListener("click", function () { if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); } });
    root.querySelector("[data-checkin-close]").addEventListener("click", function () { dialog.close(); });
  }
  // The member list: a search box and "select all" (of the members shown), built here so that the
  // list still works as plain checkboxes without JavaScript.
  var boxes = form ? Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=members]")) : [];
  if (boxes.length > 1 && dialog) {
    var list = document.getElementById(boxes[0].id.replace(/_\d+$/, ""));
    var rowOf = function (box) { return box.closest("label").parentNode; };
    var tools = document.createElement("div");
    tools.className = "member-tools";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = dialog.dataset.labelSearch;
    search.setAttribute("aria-label", dialog.dataset.labelSearch);
    var allLabel = document.createElement("label");
    var all = document.createElement("input");
    all.type = "checkbox";
    allLabel.appendChild(all);
    allLabel.appendChild(document.createTextNode(" " + dialog.dataset.labelAll));
    tools.appendChild(search);
    tools.appendChild(allLabel);
    if (list) { list.parentNode.insertBefore(tools, list); }
    search.addEventListener("input", function () {
      var q = search.value.trim();
      boxes.forEach(function (box) { rowOf(box).hidden = Boolean(q) && box.closest("label").textContent.indexOf(q) < 0; });
    });
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { if (!rowOf(box).hidden) { box.checked = all.checked; } });
    });
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
