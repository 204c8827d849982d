// Live notifications: connect, show the unread badge and a toast; reconnect with back-off.
(function () {
  "use strict";
  var badge = document.getElementById("unread-badge");
  var delay = 1000;
  function show(message) {
    if (badge) { badge.textContent = String(message.unread); badge.hidden = message.unread <= 0; }
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    toast.textContent = message.title;  // textContent: never interpret server text as HTML
    document.body.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/notifications/");
    ws.onopen = function () { delay = 1000; document.body.dataset.notifications = "online"; };
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "notification") { show(message); }
    };
    ws.onclose = function (event) {
      document.body.dataset.notifications = "offline";
      if (event.code === 4401 || event.code === 4403) { return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  if ("WebSocket" in window) { connect(); }
})();
