// A live event's screen: the socket (catch-up by sequence number, reconnect with back-off), chat,
// questions, the question being answered, announcements. Every text from the server is shown with
// textContent: nothing anyone typed is ever interpreted as HTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-event]");
  if (!root || !("WebSocket" in window)) { return; }
  var S = JSON.parse(document.getElementById("live-strings").textContent);
  var eventId = root.dataset.liveEvent;
  var venueId = root.dataset.venue || "";
  var isHost = root.dataset.host === "1";
  var chatList = root.querySelector("[data-chat]");
  var questionList = root.querySelector("[data-questions]");
  var questionsEmpty = root.querySelector("[data-questions-empty]");
  var statusLine = root.querySelector("[data-live-status]");
  var banner = root.querySelector("[data-announcement]");
  var answering = root.querySelector("[data-answering]");
  var MAX_CHAT = 200;

  var lastSeq = -1;
  var ws = null;
  var delay = 1000;
  var stopped = false;
  var refs = 0;
  var pending = {};
  var questions = {};
  var listeners = {};

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  function setStatus(text, kind) {
    if (!statusLine) { return; }
    statusLine.textContent = text || "";
    statusLine.dataset.kind = kind || "";
  }
  function emit(type, item) {
    (listeners[type] || []).forEach(function (fn) { fn(item); });
  }
  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().catch(function () { return { ok: r.ok }; }); });
  }

  // --- Rendering ------------------------------------------------------------------------------

  function chatItem(m) {
    var li = el("li", "chat-item");
    li.dataset.id = m.id;
    li.appendChild(el("span", "who" + (m.venue ? " is-venue" : ""), m.author));
    li.appendChild(el("span", "text", m.text));
    li.appendChild(el("time", "", timeOf(m.at)));
    if (isHost) {
      var del = el("button", "linklike delete", S.delete);
      del.type = "button";
      del.addEventListener("click", function () { send({ type: "delete", id: m.id }); });
      li.appendChild(del);
    }
    return li;
  }
  function addChat(m) {
    if (!chatList || chatList.querySelector('[data-id="' + m.id + '"]')) { return; }
    chatList.appendChild(chatItem(m));
    while (chatList.children.length > MAX_CHAT) { chatList.removeChild(chatList.firstChild); }
    chatList.scrollTop = chatList.scrollHeight;
  }
  function removeChat(id) {
    var node = chatList && chatList.querySelector('[data-id="' + id + '"]');
    if (node) { node.remove(); }
  }

  var ORDER = { answering: 0, open: 1, answered: 2 };
  function questionItem(q) {
    var li = el("li", "question state-" + q.state);
    li.dataset.id = q.id;
    li.appendChild(el("p", "q-text", q.text));
    var meta = el("p", "q-meta");
    meta.appendChild(el("span", "who", q.author));
    meta.appendChild(el("span", "q-state", S[q.state] || q.state));
    if (q.seconds) { meta.appendChild(el("span", "q-seconds", fmt(S.seconded, { n: q.seconds + 1 }))); }
    li.appendChild(meta);
    var actions = el("div", "q-actions");
    if (q.state !== "answered" && root.querySelector("[data-question-form]")) {
      var second = el("button", "btn small", "👍 " + S.second);
      second.type = "button";
      second.addEventListener("click", function () { send({ type: "second", id: q.id }); });
      actions.appendChild(second);
    }
    if (isHost && root.dataset.questionUrl && q.state !== "answered") {
      if (q.state === "open") { actions.appendChild(hostButton(S.answerNow, q.id, "answering")); }
      actions.appendChild(hostButton(S.markAnswered, q.id, "answered"));
    }
    li.appendChild(actions);
    return li;
  }
  function hostButton(label, id, action) {
    var button = el("button", "btn small", label);
    button.type = "button";
    button.dataset.action = action;
    button.addEventListener("click", function () {
      var url = root.dataset.questionUrl.replace(/\/0\/answering\/$/, "/" + id + "/" + action + "/");
      button.disabled = true;
      post(url).then(function (reply) {
        button.disabled = false;
        if (!reply.ok) { setStatus(reply.error || S.badInput, "error"); }
      });
    });
    return button;
  }
  function renderQuestions() {
    if (!questionList) { return; }
    var list = Object.keys(questions).map(function (k) { return questions[k]; });
    list.sort(function (a, b) {
      return (ORDER[a.state] - ORDER[b.state]) || (a.state === "open" ? b.seconds - a.seconds : 0) || (a.id - b.id);
    });
    questionList.replaceChildren.apply(questionList, list.map(questionItem));
    if (questionsEmpty) { questionsEmpty.hidden = list.length > 0; }
    var current = list.filter(function (q) { return q.state === "answering"; })[0];
    if (answering) {
      answering.hidden = !current;
      if (current) {
        answering.querySelector("[data-answering-text]").textContent = current.text;
        answering.querySelector("[data-answering-who]").textContent = current.author;
      }
    }
  }
  function showAnnouncement(a) {
    if (!banner) { return; }
    banner.hidden = !a;
    if (a) {
      banner.querySelector("[data-announcement-text]").textContent = a.text;
      banner.classList.remove("flash");
      void banner.offsetWidth;  // restart the highlight animation
      banner.classList.add("flash");
    }
  }
  function setState(state) {
    if (root.dataset.state === state.state) { return; }
    root.dataset.state = state.state;
    document.querySelectorAll(".live-badge").forEach(function (badge) {
      badge.className = "live-badge state-" + state.state;
      badge.textContent = { scheduled: S.stateScheduled, live: S.stateLive, ended: S.stateEnded,
        replay_ready: S.stateReplay, cancelled: S.stateCancelled }[state.state] || state.state;
    });
    if (state.state !== "scheduled" && state.state !== "live") {
      root.querySelectorAll("[data-chat-form], [data-question-form], [data-checkin-open]").forEach(function (f) { f.hidden = true; });
    }
    if (state.replay_url) {  // the replay was published while this page was open
      document.querySelectorAll("[data-replay-link]").forEach(function (link) {
        link.href = state.replay_url;
        link.hidden = false;
      });
    }
  }

  // --- Items ------------------------------------------------------------------------------------

  function apply(item) {
    if (item.seq <= lastSeq) { return; }  // already shown
    if (lastSeq >= 0 && item.seq !== lastSeq + 1) {
      // The server sends every number in order; a hole means something went wrong: catch up again.
      if (ws) { ws.close(); }
      return;
    }
    lastSeq = item.seq;
    switch (item.type) {
      case "chat": addChat(item); break;
      case "chat_delete": removeChat(item.id); break;
      case "question": questions[item.id] = item; renderQuestions(); break;
      case "announcement": showAnnouncement(item); break;
      case "state": setState(item); break;
      default: break;
    }
    emit(item.type, item);
  }
  function snapshot(s) {
    lastSeq = s.seq;
    if (chatList) { chatList.replaceChildren(); }
    s.chat.forEach(addChat);
    questions = {};
    s.questions.forEach(function (q) { questions[q.id] = q; });
    renderQuestions();
    showAnnouncement(s.announcement);
    setState(s.state);
    emit("snapshot", s);
    emit("state", s.state);
  }
  function onFrame(frame) {
    switch (frame.type) {
      case "snapshot": snapshot(frame); break;
      case "batch": frame.items.forEach(apply); break;
      case "ack": settle(frame, true); break;
      case "error": settle(frame, false); setStatus(frame.message, "error"); break;
      case "pong": break;
      default: if (typeof frame.seq === "number") { apply(frame); } break;
    }
  }
  function settle(frame, ok) {
    var done = frame.ref !== undefined && pending[frame.ref];
    if (done) { delete pending[frame.ref]; done(ok, frame); }
  }

  // --- The socket ---------------------------------------------------------------------------------

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var query = [];
    if (lastSeq >= 0) { query.push("last=" + lastSeq); }
    if (venueId) { query.push("venue=" + venueId); }
    setStatus(S.connecting, "");
    ws = new WebSocket(scheme + location.host + "/ws/live/" + eventId + "/" + (query.length ? "?" + query.join("&") : ""));
    ws.onopen = function () { delay = 1000; root.dataset.socket = "online"; setStatus("", ""); };
    ws.onmessage = function (e) {
      try { onFrame(JSON.parse(e.data)); } catch (err) { if (window.console) { console.error(err); } }
    };
    ws.onclose = function (e) {
      root.dataset.socket = "offline";
      ws = null;
      if (stopped) { return; }
      if (e.code === 4401) { setStatus(S.signIn, "error"); return; }
      if (e.code === 4403) { setStatus(S.forbidden, "error"); return; }
      if (e.code === 4400) { setStatus(S.badInput, "error"); }
      else { setStatus(S.offline, "error"); }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  function send(message, done) {
    if (!ws || ws.readyState !== 1) { setStatus(S.offline, "error"); if (done) { done(false); } return; }
    refs += 1;
    message.ref = refs;
    if (done) { pending[refs] = done; }
    ws.send(JSON.stringify(message));
  }
  setInterval(function () { if (ws && ws.readyState === 1) { ws.send('{"type":"ping"}'); } }, 25000);

  function wireForm(selector, type, field) {
    var form = root.querySelector(selector);
    if (!form) { return; }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector(field);
      var text = input.value.trim();
      if (!text) { return; }
      var button = form.querySelector("button");
      button.disabled = true;
      send({ type: type, text: text }, function (ok) {
        button.disabled = false;
        if (ok) { input.value = ""; setStatus(S.sent, "ok"); }
      });
    });
  }
  wireForm("[data-chat-form]", "chat", "input");
  wireForm("[data-question-form]", "question", "textarea");

  window.DJLive = {
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    post: post,
    strings: S,
    fmt: fmt,
    setStatus: setStatus,
    state: function () { return root.dataset.state; },
    root: root
  };
  window.addEventListener("pagehide", function () { stopped = true; if (ws) { ws.close(); } });
  connect();
})();
