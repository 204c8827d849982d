/* Playing a live event with hls.js, tuned for low latency (1 s segments: stay ~2 segments behind
 * the live edge, speed up a little to catch up), and recovering on its own: a playlist that does
 * not exist yet (the broadcast is about to start) or a network error is retried, a media error
 * is recovered. The state is kept in data-player-state ("loading", "playing", "buffering",
 * "error") so a page can report the player's health. Safari plays HLS natively.
 * Use: <div data-live-player data-src="…/master.m3u8"><video …></video></div>, or
 * window.LivePlayer.attach(element, url). */
(function () {
  "use strict";

  var CONFIG = {
    lowLatencyMode: true,
    liveSyncDurationCount: 2,
    liveMaxLatencyDurationCount: 6,
    maxLiveSyncPlaybackRate: 1.2,
    backBufferLength: 30,
    manifestLoadingMaxRetry: 2,
    levelLoadingMaxRetry: 6,
    fragLoadingMaxRetry: 6
  };

  function attach(root, url) {
    var video = root.querySelector("video");
    var statusEl = root.querySelector("[data-player-status]");
    var src = url || root.getAttribute("data-src");
    var hls = null, retryTimer = null;
    if (!video || !src) return null;

    function setState(state) {
      root.setAttribute("data-player-state", state);
      if (statusEl) statusEl.textContent = root.getAttribute("data-msg-" + state) || "";
    }

    function start() {
      clearTimeout(retryTimer);
      if (hls) { hls.destroy(); hls = null; }
      setState("loading");
      if (window.Hls && window.Hls.isSupported()) {
        hls = new window.Hls(CONFIG);
        hls.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
        hls.on(window.Hls.Events.ERROR, function (event, data) {
          if (!data.fatal) return;
          if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
            hls.recoverMediaError();
          } else {
            setState("error");
            retryTimer = setTimeout(start, 2000);  // e.g. the first segment is not out yet
          }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = src;
        video.play().catch(function () {});
      } else {
        setState("error");
      }
    }

    video.addEventListener("playing", function () { setState("playing"); });
    video.addEventListener("waiting", function () { setState("buffering"); });
    // A live stream has no end: if the player thinks it ended, the source paused; look again.
    video.addEventListener("ended", function () { setState("loading"); retryTimer = setTimeout(start, 2000); });
    video.addEventListener("error", function () { if (!hls) { setState("error"); retryTimer = setTimeout(start, 3000); } });
    start();
    return { restart: start, destroy: function () { clearTimeout(retryTimer); if (hls) hls.destroy(); } };
  }

  window.LivePlayer = { attach: attach };
  function attachAll() {
    var roots = document.querySelectorAll("[data-live-player][data-src]");
    for (var i = 0; i < roots.length; i++) {
      if (!roots[i].hasAttribute("data-player-state")) attach(roots[i]);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", attachAll); else attachAll();
})();
