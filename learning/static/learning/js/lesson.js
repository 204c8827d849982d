/* Lesson page: the HLS player (hls.js, or the browser's own HLS), progress reports, article reading.
 *
 * Progress: only time actually played counts. Each stretch of continuous playback is one interval;
 * a seek, a pause or a jump in currentTime closes it. Intervals are sent every 15 s, on pause, when
 * the page is hidden and when it is left (fetch keepalive), with the signed ticket the page carries.
 * What the server accepted is dropped; what it refused is kept and sent again later.
 */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function postJSON(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || response.statusText);
          error.status = response.status;
          error.code = data.code;
          throw error;
        }
        return data;
      });
    });
  }

  function mergeIntervals(items) {
    var sorted = items.slice().sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    sorted.forEach(function (item) {
      var last = out[out.length - 1];
      if (last && item[0] <= last[1] + 0.05) { last[1] = Math.max(last[1], item[1]); }
      else { out.push([item[0], item[1]]); }
    });
    return out;
  }

  // --- Player --------------------------------------------------------------------------------
  var root = document.querySelector("[data-player]");
  var configNode = document.getElementById("player-config");
  if (root && configNode) {
    var cfg = JSON.parse(configNode.textContent);
    var S = JSON.parse(document.getElementById("player-strings").textContent);
    var video = root.querySelector("video");
    var statusLine = root.querySelector("[data-status]");
    var qualitySelect = root.querySelector("[data-quality]");
    var qualityLabel = root.querySelector("[data-quality-label]");
    var speedSelect = root.querySelector("[data-speed]");
    var audioButton = root.querySelector("[data-audio-only]");
    var hls = null;
    var audioMode = !!cfg.audioOnly;
    var nativeHls = !!video.canPlayType("application/vnd.apple.mpegurl");
    // hls.js gives the quality switch and the same behaviour everywhere; Safari on Apple devices
    // plays HLS natively, which saves battery, and where hls.js cannot run the native player is used.
    var hlsJsOk = !!(window.Hls && window.Hls.isSupported());
    var useNative = nativeHls && (!hlsJsOk || /Apple/.test(navigator.vendor || ""));

    var status = function (text) { if (statusLine) statusLine.textContent = text || ""; };

    var rate = parseFloat(localStorage.getItem("learning.rate") || "1");
    if (!(rate >= 0.5 && rate <= 2)) rate = 1;
    speedSelect.value = String(rate);
    if (speedSelect.value !== String(rate)) { rate = 1; speedSelect.value = "1"; }

    var load = function (src, startAt, autoplay) {
      if (hls) { hls.destroy(); hls = null; }
      var start = startAt > 0 ? startAt : -1;
      if (!useNative && hlsJsOk) {
        hls = new window.Hls({ startPosition: start, capLevelToPlayerSize: true, maxBufferLength: 30 });
        hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
          if (autoplay) video.play().catch(function () {});
        });
        hls.on(window.Hls.Events.ERROR, function (_event, data) {
          if (!data.fatal) return;
          if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR && data.response && data.response.code === 404) {
            refreshSource(); // the signed URLs expired while the page stayed open
          } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
            hls.recoverMediaError();
          } else {
            status(S.mediaError);
          }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (nativeHls) {
        video.src = src;
        video.addEventListener("loadedmetadata", function () {
          if (startAt > 0) video.currentTime = startAt;
          if (autoplay) video.play().catch(function () {});
        }, { once: true });
      } else {
        status(S.unsupported);
        return;
      }
      video.playbackRate = rate;
      if (qualityLabel) qualityLabel.hidden = audioMode || !hls || cfg.renditions.length < 2;
    };

    var refreshing = false;
    var refreshSource = function () {
      if (refreshing || !cfg.refreshUrl) return;
      refreshing = true;
      fetch(cfg.refreshUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        if (!data.media || !data.media.master) { status(S.mediaError); return; }
        cfg.master = data.media.master;
        cfg.audio = data.media.audio;
        if (data.ticket) cfg.ticket = data.ticket;
        load(audioMode && cfg.audio ? cfg.audio : cfg.master, video.currentTime, !video.paused);
      }).catch(function () { status(S.mediaError); }).finally(function () { refreshing = false; });
    };

    video.addEventListener("ratechange", function () { if (video.playbackRate !== rate) video.playbackRate = rate; });
    speedSelect.addEventListener("change", function () {
      rate = parseFloat(speedSelect.value) || 1;
      video.playbackRate = rate;
      localStorage.setItem("learning.rate", String(rate));
    });
    if (qualitySelect) {
      qualitySelect.addEventListener("change", function () {
        if (hls) hls.currentLevel = parseInt(qualitySelect.value, 10);
      });
    }
    if (audioButton) {
      audioButton.addEventListener("click", function () {
        closeInterval();
        var at = video.currentTime, playing = !video.paused;
        audioMode = !audioMode;
        audioButton.setAttribute("aria-pressed", audioMode ? "true" : "false");
        root.classList.toggle("audio-mode", audioMode);
        load(audioMode ? cfg.audio : cfg.master, at, playing);
        status(audioMode ? S.audioMode : S.videoMode);
      });
    }

    // Progress: intervals actually played.
    var pending = [];
    var openStart = null, openEnd = null, lastClock = 0;
    var closeInterval = function () {
      if (openStart !== null && openEnd - openStart > 0.05) pending.push([openStart, openEnd]);
      openStart = openEnd = null;
    };
    video.addEventListener("timeupdate", function () {
      if (video.paused || video.seeking) return;
      var t = video.currentTime, now = performance.now() / 1000;
      if (openStart === null) { openStart = openEnd = t; lastClock = now; return; }
      var elapsed = Math.max(0.25, now - lastClock);
      var advance = t - openEnd;
      // A jump bigger than the time that passed at this speed is a seek, not watching.
      if (advance < 0 || advance > elapsed * Math.max(1, video.playbackRate) * 1.5 + 0.5) {
        closeInterval();
        openStart = openEnd = t;
      } else {
        openEnd = t;
      }
      lastClock = now;
    });
    // Playback starts: the interval starts here, not at the first timeupdate a quarter second later.
    video.addEventListener("playing", function () {
      if (openStart === null && !video.seeking) {
        openStart = openEnd = video.currentTime;
        lastClock = performance.now() / 1000;
      }
    });
    // Paused or finished: what played since the last timeupdate counts too, if it is plausible.
    ["pause", "ended"].forEach(function (name) {
      video.addEventListener(name, function () {
        if (openStart !== null) {
          var advance = video.currentTime - openEnd;
          var elapsed = performance.now() / 1000 - lastClock;
          if (advance > 0 && advance <= elapsed * Math.max(1, video.playbackRate) * 1.5 + 0.5) openEnd = video.currentTime;
        }
        closeInterval();
      });
    });
    ["seeking", "waiting", "emptied"].forEach(function (name) {
      video.addEventListener(name, closeInterval);
    });

    var sending = false, lastSentPosition = -1;
    var send = function (keepalive) {
      if (!cfg.signedIn || !cfg.ticket || sending) return;
      var items = pending.slice();
      var openSent = null;
      if (openStart !== null && openEnd - openStart > 0.05) { openSent = openEnd; items.push([openStart, openEnd]); }
      var position = video.currentTime || 0;
      if (!items.length && Math.abs(position - lastSentPosition) < 1) return;
      items = mergeIntervals(items).slice(-50);
      var sentCount = pending.length;
      sending = !keepalive;
      postJSON(cfg.progressUrl, { ticket: cfg.ticket, intervals: items, position: position }, keepalive).then(function (data) {
        pending.splice(0, sentCount);
        if (openSent !== null && openStart !== null) openStart = Math.max(openStart, openSent);
        lastSentPosition = position;
        var bar = document.querySelector("[data-watched-bar]"), text = document.querySelector("[data-watched-text]");
        if (bar && data.duration) bar.style.width = Math.min(100, 100 * data.watched / data.duration) + "%";
        if (data.completed && !cfg.completed) { cfg.completed = true; status(S.completed); }
        if (text) text.textContent = data.completed ? "✓ " + S.completed : fill(S.watched, { watched: clock(data.watched), total: clock(data.duration) });
        root.dataset.saved = String(position);
      }).catch(function (error) {
        if (error.code === "expired") refreshSource();
        status(error.status ? error.message : S.offline);
        pending = mergeIntervals(pending).slice(-50);
      }).finally(function () { sending = false; });
    };
    setInterval(function () { if (!video.paused) send(false); }, 15000);
    video.addEventListener("pause", function () { send(false); });
    video.addEventListener("ended", function () { send(false); });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") send(true); });
    window.addEventListener("pagehide", function () { closeInterval(); send(true); });

    var startAt = cfg.position > 3 && cfg.position < (cfg.duration || 0) - 5 ? cfg.position : 0;
    if (audioButton && audioMode) audioButton.setAttribute("aria-pressed", "true");
    load(audioMode && cfg.audio ? cfg.audio : cfg.master, startAt, false);
    if (startAt) status(fill(S.resumed, { time: clock(startAt) }));
    root.dataset.ready = "1";
  }

  // --- Articles: reading to the end marks them read ----------------------------------------------
  var articleNode = document.getElementById("article-config");
  var articleEnd = document.querySelector("[data-article-end]");
  if (articleNode && articleEnd && "IntersectionObserver" in window) {
    var article = JSON.parse(articleNode.textContent);
    var opened = Date.now();
    var articleStatus = document.querySelector("[data-article-status]");
    var done = article.completed, timer = null;
    var markRead = function () {
      if (done) return;
      postJSON(article.readUrl, { ticket: article.ticket }).then(function () {
        done = true;
        if (articleStatus) articleStatus.textContent = "✓ " + articleStatus.dataset.readText;
      }).catch(function (error) { if (articleStatus) articleStatus.textContent = error.message; });
    };
    new IntersectionObserver(function (entries) {
      if (done || !entries.some(function (e) { return e.isIntersecting; })) return;
      var wait = article.minSeconds * 1000 - (Date.now() - opened);
      clearTimeout(timer);
      timer = setTimeout(markRead, Math.max(0, wait) + 200);
    }).observe(articleEnd);
  }
})();
