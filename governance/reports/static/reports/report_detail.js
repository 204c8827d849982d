// An open report page follows the report: a "changed" message re-reads the page's live part over HTTP
// (the database is the truth; the socket only says when). Reconnects with back-off and ?last=seq.
(function () {
  "use strict";
  var box = document.getElementById("report-live");
  if (!box || !("WebSocket" in window)) { return; }
  var delay = 1000;
  var refreshing = false;
  function seq() { var card = document.getElementById("report-card"); return Number(card ? card.dataset.seq : box.dataset.seq); }
  function busy() {
    // Do not throw away what someone is typing; the next change (or leaving the field) refreshes.
    var a = document.activeElement;
    return a && box.contains(a) && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && a.type !== "submit" && a.value));
  }
  function refresh() {
    if (refreshing) { return; }
    if (busy()) { setTimeout(refresh, 3000); return; }
    refreshing = true;
    fetch(box.dataset.fragmentUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
      box.replaceChildren.apply(box, Array.prototype.slice.call(doc.body.firstChild.childNodes));
      box.dataset.seq = String(seq());
      document.body.dataset.reportSeq = String(seq());
    }).catch(function () { /* the next message or reconnect tries again */ }).finally(function () { refreshing = false; });
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/reports/" + box.dataset.report + "/?last=" + seq());
    ws.onopen = function () { delay = 1000; document.body.dataset.reportLive = "online"; };
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "changed" && message.seq > seq()) { refresh(); }
    };
    ws.onclose = function (event) {
      document.body.dataset.reportLive = "offline";
      if (event.code === 4401 || event.code === 4403) { return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  document.body.dataset.reportSeq = String(seq());
  connect();
})();
