// The live video: waits for the broadcast, plays it with hls.js (low-latency settings; Safari plays
// HLS natively), recovers from errors, and reports the player's health with each heartbeat.
// Each heartbeat answers with a signed address; a renewed signature never interrupts playback: the
// player keeps the address it plays and takes the newest one only when it (re)starts, e.g. after the
// old signature expired and loading failed.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-event]");
  if (!root) { return; }
  var live = window.DJLive;
  var S = live ? live.strings : {};
  var video = root.querySelector("[data-player]");
  var overlay = root.querySelector("[data-player-overlay]");
  var heartbeatUrl = root.dataset.heartbeatUrl || "";
  var statusUrl = root.dataset.statusUrl || "";
  var every = Math.max(3, parseInt(root.dataset.heartbeatSeconds || "10", 10)) * 1000;
  var hls = null;
  var source = "";   // the address being played
  var offered = "";  // the newest address the server gave
  var health = video ? "waiting" : "unknown";
  var detail = "";
  var lastTime = -1;
  var timer = null;

  function say(text) {
    if (!overlay) { return; }
    overlay.textContent = text || "";
    overlay.hidden = !text;
  }
  function setHealth(value, why) {
    health = value;
    detail = why || "";
    root.dataset.health = value;
  }
  function stop() {
    if (hls) { hls.destroy(); hls = null; }
    if (video) { video.removeAttribute("src"); video.load(); }
    source = "";
  }
  function play(url) {
    if (!video || !url || url === source) { return; }
    stop();
    source = url;
    say(S.waitingVideo);
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({
        lowLatencyMode: true,
        liveSyncDurationCount: 2,
        liveMaxLatencyDurationCount: 6,
        maxLiveSyncPlaybackRate: 1.5,
        backBufferLength: 30,
        manifestLoadingMaxRetry: 6,
        levelLoadingMaxRetry: 6,
        fragLoadingMaxRetry: 6
      });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (!data.fatal) { return; }
        setHealth("error", String(data.details || data.type));
        if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
          if (offered && offered !== source) { play(offered); } else { hls.startLoad(); }  // expired: renew
        }
        else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); }
        else { say(S.playerError); stop(); }  // the next heartbeat starts again
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
    } else {
      setHealth("error", "no HLS support");
      say(S.playerError);
      return;
    }
    var attempt = video.play();
    if (attempt && attempt.catch) {
      // Autoplay with sound needs a click first; start muted rather than not at all.
      attempt.catch(function () { video.muted = true; video.play().catch(function () {}); });
    }
  }

  if (video) {
    video.addEventListener("playing", function () { setHealth("playing"); say(""); });
    video.addEventListener("waiting", function () { if (source) { setHealth("buffering"); } });
    video.addEventListener("stalled", function () { if (source) { setHealth("buffering"); } });
    video.addEventListener("error", function () { setHealth("error", "media error"); });
    video.addEventListener("timeupdate", function () {
      if (video.currentTime !== lastTime && !video.paused) { lastTime = video.currentTime; if (health !== "playing") { setHealth("playing"); say(""); } }
    });
  }

  function follow(state, url) {
    if (state === "live") {
      if (!video) { return; }
      if (url) { offered = url; }
      if (source) { return; }  // playing: keep it (a new signature is not a new stream)
      if (url) { play(url); } else { setHealth("waiting"); say(S.waitingVideo); }
    } else if (state !== "scheduled") {
      stop();
      if (timer) { clearInterval(timer); timer = null; }
      say(state === "cancelled" ? S.stateCancelled : S.stateEnded);
    }
  }
  function tick() {
    var state = root.dataset.state;
    if (state !== "scheduled" && state !== "live") { follow(state, null); return; }
    if (heartbeatUrl && live) {
      var reported = video ? health : "waiting";
      live.post(heartbeatUrl, { health: reported === "unknown" ? "waiting" : reported, detail: detail })
        .then(function (reply) { if (reply && reply.state) { follow(reply.state, reply.playback_url); } })
        .catch(function () {});
    } else if (statusUrl && state === "live" && !source) {
      fetch(statusUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (reply) { follow(reply.state, reply.playback_url); }).catch(function () {});
    }
  }

  if (live) { live.on("state", function (s) { if (s.state === "live") { tick(); } else { follow(s.state, null); } }); }
  if (root.dataset.playbackUrl) { offered = root.dataset.playbackUrl; play(offered); }
  tick();
  timer = setInterval(tick, every);
  window.DJPlayer = { health: function () { return health; }, video: video, tick: tick };
})();
