/* Publishing a live event from the host's browser: camera + microphone → MediaRecorder (WebM)
 * → the publish WebSocket → the live supervisor's ffmpeg. Used by streaming_video/publish_widget.html.
 * Texts come from the widget's data-msg-* attributes (translated on the server).
 * A dropped connection is retried with back-off; every new connection starts a new recording,
 * because a WebM stream cannot be continued by a new packager without its header. */
(function () {
  "use strict";

  var MIME_TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm;codecs=h264,opus", "video/webm"];
  var TIMESLICE_MS = 250;

  function chooseMime() {
    if (!window.MediaRecorder) return "";
    for (var i = 0; i < MIME_TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(MIME_TYPES[i])) return MIME_TYPES[i];
    }
    return "";
  }

  function init(root) {
    var preview = root.querySelector("video");
    var statusEl = root.querySelector("[data-status]");
    var btnCamera = root.querySelector('[data-action="camera"]');
    var btnStart = root.querySelector('[data-action="start"]');
    var btnStop = root.querySelector('[data-action="stop"]');
    var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws;
    var stream = null, ws = null, recorder = null, wanted = false, attempt = 0, retryTimer = null;

    function msg(name) { return root.getAttribute("data-msg-" + name) || name; }
    function setState(state, text) {
      root.setAttribute("data-publish-state", state);
      statusEl.textContent = text;
    }
    function buttons() {
      btnCamera.hidden = !!stream;
      btnStart.hidden = wanted;
      btnStart.disabled = !stream;
      btnStop.hidden = !wanted;
    }

    function stopRecorder() {
      if (recorder && recorder.state !== "inactive") {
        try { recorder.stop(); } catch (e) { /* already stopped */ }
      }
      recorder = null;
    }

    function startRecorder() {
      var options = { mimeType: chooseMime(), videoBitsPerSecond: 2500000, audioBitsPerSecond: 128000,
                      videoKeyFrameIntervalDuration: 1000 };
      try {
        recorder = new MediaRecorder(stream, options);
      } catch (e) {
        setState("error", msg("unsupported"));
        return;
      }
      recorder.ondataavailable = function (event) {
        // WebSocket.send keeps the order of Blobs: the chunks reach the server as recorded.
        if (event.data && event.data.size && ws && ws.readyState === WebSocket.OPEN) ws.send(event.data);
      };
      recorder.start(TIMESLICE_MS);
    }

    function retryLater(text) {
      stopRecorder();
      if (!wanted) return;
      attempt += 1;
      var delay = Math.min(15000, 1000 * Math.pow(2, Math.min(attempt - 1, 4)));
      setState("reconnecting", text || msg("reconnecting"));
      clearTimeout(retryTimer);
      retryTimer = setTimeout(function () {
        if (!wanted) return;
        if (ws && ws.readyState === WebSocket.OPEN) sendStart(); else connect();
      }, delay);
    }

    function sendStart() {
      var settings = stream.getVideoTracks()[0] ? stream.getVideoTracks()[0].getSettings() : {};
      ws.send(JSON.stringify({ type: "start", mime: chooseMime(), width: settings.width || null,
                               height: settings.height || null, audio: stream.getAudioTracks().length > 0 }));
      setState("connecting", msg("connecting"));
    }

    function onMessage(event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "hello") {
        if (wanted) sendStart();
      } else if (message.type === "started") {
        attempt = 0;
        startRecorder();
        setState("live", msg("live"));
      } else if (message.type === "refused") {
        if (message.reason === "unavailable") {
          retryLater(msg("unavailable"));
        } else {
          wanted = false;
          buttons();
          setState("refused", root.getAttribute("data-msg-refused-" + message.reason) || msg("refused"));
        }
      } else if (message.type === "stopped") {
        stopRecorder();
        if (message.reason === "ended") {
          wanted = false;
          buttons();
          setState("ended", msg("ended"));
        } else if (message.reason === "unsupported") {
          wanted = false;
          buttons();
          setState("refused", msg("refused-unsupported"));
        } else if (message.reason === "stopped") {
          setState("idle", msg("stopped"));
        } else {
          retryLater();
        }
      }
    }

    function connect() {
      ws = new WebSocket(wsUrl);
      ws.binaryType = "arraybuffer";
      ws.onmessage = onMessage;
      ws.onclose = function (event) {
        ws = null;
        stopRecorder();
        if (!wanted) return;
        if (event.code === 4401 || event.code === 4403) {
          wanted = false;
          buttons();
          setState("error", msg(event.code === 4401 ? "signin" : "forbidden"));
        } else {
          retryLater();
        }
      };
    }

    btnCamera.addEventListener("click", function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !chooseMime()) {
        setState("error", msg("unsupported"));
        return;
      }
      setState("camera", msg("camera-starting"));
      navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } },
        audio: { echoCancellation: true, noiseSuppression: true }
      }).then(function (media) {
        stream = media;
        preview.srcObject = media;
        preview.play().catch(function () {});
        buttons();
        setState("ready", msg("camera-ready"));
      }).catch(function () {
        setState("error", msg("camera-denied"));
      });
    });

    btnStart.addEventListener("click", function () {
      if (!stream) return;
      wanted = true;
      attempt = 0;
      buttons();
      if (ws && ws.readyState === WebSocket.OPEN) sendStart(); else connect();
    });

    btnStop.addEventListener("click", function () {
      wanted = false;
      clearTimeout(retryTimer);
      stopRecorder();
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "stop" }));
      buttons();
      setState("idle", msg("stopped"));
    });

    buttons();
    setState("idle", msg("idle"));
  }

  function initAll() {
    var roots = document.querySelectorAll("[data-live-publish]");
    for (var i = 0; i < roots.length; i++) {
      if (!roots[i].hasAttribute("data-publish-state")) init(roots[i]);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll); else initAll();
})();
