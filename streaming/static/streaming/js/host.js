// The host console: the venue roster (polled, and refreshed the moment a venue checks in or comes
// online), the totals, announcements, and a page refresh when the event changes state.
(function () {
  "use strict";
  var root = document.querySelector(".host-root");
  var live = window.DJLive;
  if (!root || !live) { return; }
  var S = live.strings;
  var rosterUrl = root.dataset.rosterUrl;
  var body = root.querySelector("[data-roster]");

  function cell(row, col) { return row.querySelector('[data-col="' + col + '"]'); }
  function dot(on) {
    var span = document.createElement("span");
    span.className = "dot " + (on ? "on" : "off");
    return span;
  }
  function time(iso, seconds) {
    if (!iso) { return "—"; }
    var d = new Date(iso);
    var options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (seconds) { options.second = "2-digit"; }
    return d.toLocaleTimeString([], options);
  }
  function renderVenue(v) {
    var row = body.querySelector('[data-venue-row="' + v.id + '"]');
    if (!row) { return; }
    var online = cell(row, "online");
    online.replaceChildren(dot(v.online), document.createTextNode(v.online ? S.yes : S.no));
    cell(row, "checked_in").textContent = v.checked_in ? time(v.checked_in_at) : "—";
    cell(row, "headcount").textContent = String(v.headcount);
    cell(row, "last_heartbeat").textContent = time(v.last_heartbeat, true);
    cell(row, "health").textContent = S[v.health] || v.health;
    row.dataset.online = v.online ? "1" : "0";
    row.dataset.checkedIn = v.checked_in ? "1" : "0";
  }
  function renderTotals(t) {
    Object.keys(t).forEach(function (key) {
      root.querySelectorAll('[data-total="' + key + '"]').forEach(function (node) { node.textContent = String(t[key]); });
    });
  }
  // One roster request at a time; a change announced while one is on its way (its answer may predate
  // the change) asks for one more when it returns, so the totals never stay behind a row.
  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    again = false;
    fetch(rosterUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { data.venues.forEach(renderVenue); renderTotals(data.totals); })
      .catch(function () {})
      .then(function () { refreshing = false; if (again) { refresh(); } });
  }
  live.on("venue", function (v) { renderVenue(v); refresh(); });
  live.on("state", function (s) {
    if (s.state !== root.dataset.shownState) { location.reload(); }
  });
  root.dataset.shownState = root.dataset.state;
  setInterval(refresh, 5000);

  // Announcements without leaving the page.
  var announce = root.querySelector("[data-announce-form]");
  if (announce) {
    announce.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = announce.querySelector("[name=text]");
      var data = new FormData(announce);
      fetch(announce.action, { method: "POST", credentials: "same-origin", body: data,
        headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") } })
        .then(function (r) { return r.json(); })
        .then(function (reply) {
          if (reply.ok) { input.value = ""; live.setStatus(S.sent, "ok"); } else { live.setStatus(reply.error, "error"); }
        });
    });
  }
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (e) { if (!window.confirm(button.dataset.confirm)) { e.preventDefault(); } });
  });
})();
