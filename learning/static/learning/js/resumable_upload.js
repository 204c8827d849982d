/* Wagtail admin, media file form: the chosen video or audio goes up in resumable chunks (tus 1.0.0,
   core/resumable.py) with a progress bar. A dropped connection is retried from the server's offset;
   after a page reload, choosing the same file again continues where it stopped (the upload's address
   is kept in localStorage under the file's name, size and date). The form then sends only the
   finished upload's token. */
(function () {
  "use strict";
  var TUS = "1.0.0";
  var STORE = "resumable-upload:";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); }).replace(/%%/g, "%");
  }
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function base64(text) {
    var bytes = new TextEncoder().encode(text), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }
  function csrfToken(form) {
    var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function save(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ } }
  function forget(key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }

  function Failure(message, fatal) { this.message = message; this.fatal = fatal; }

  function setup(root) {
    var input = root.querySelector("input[type=file]");
    var tokenInput = root.querySelector("[data-resumable-token]");
    var panel = root.querySelector("[data-resumable-panel]");
    var bar = root.querySelector("[data-resumable-bar]");
    var percent = root.querySelector("[data-resumable-percent]");
    var state = root.querySelector("[data-resumable-state]");
    var pauseButton = root.querySelector("[data-resumable-pause]");
    var note = root.querySelector("[data-resumable-note]");
    var msgs = JSON.parse(document.getElementById(root.dataset.messages).textContent);
    var endpoint = new URL(root.dataset.endpoint, location.href).href;
    var form = input.form;
    var job = null;
    var submitWhenDone = false, submitter = null;

    // The server checks that a file was given; the browser must not insist on the (cleared) input.
    input.removeAttribute("required");
    root.dataset.state = tokenInput.value ? "done" : "idle";

    function setState(text, name) {
      state.textContent = text;
      if (name) root.dataset.state = name;
    }
    function show(offset, loaded, size) {
      var done = Math.min(size, offset + loaded);
      var fraction = size ? done / size : 0;
      bar.value = Math.floor(fraction * 1000) / 10;
      percent.textContent = Math.floor(fraction * 100) + "%";
      root.dataset.offset = String(offset);
      return format(msgs.progress, { done: megabytes(done), total: megabytes(size) });
    }

    function send(my, method, url, headers, body, onProgress) {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        my.xhr = xhr;
        xhr.open(method, url);
        headers["Tus-Resumable"] = TUS;
        headers["X-CSRFToken"] = csrfToken(form);
        Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
        if (onProgress) xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
        xhr.onload = function () { my.xhr = null; resolve(xhr); };
        xhr.onerror = xhr.ontimeout = xhr.onabort = function () { my.xhr = null; reject(new Failure("", false)); };
        xhr.send(body === undefined ? null : body);
      });
    }
    function refused(xhr) {
      // 5xx and 423 (busy) pass; the rest is the server's answer to this file, in the person's language.
      if (xhr.status >= 500 || xhr.status === 423) return new Failure("", false);
      return new Failure(xhr.responseText || String(xhr.status), true);
    }

    function create(my) {
      setState(msgs.checking, "uploading");
      return send(my, "POST", endpoint, {
        "Upload-Length": String(my.file.size),
        "Upload-Metadata": "filename " + base64(my.file.name),
      }).then(function (xhr) {
        if (xhr.status !== 201) throw refused(xhr);
        my.url = new URL(xhr.getResponseHeader("Location"), endpoint).href;
        my.offset = 0;
        my.needsOffset = false;
        save(my.key, { url: my.url, name: my.file.name, size: my.file.size });
      });
    }
    function head(my) {
      setState(msgs.checking, "uploading");
      return send(my, "HEAD", my.url, {}).then(function (xhr) {
        if (xhr.status === 404 || xhr.status === 410) {  // removed meanwhile (expired): start again
          forget(my.key);
          my.url = null;
          return;
        }
        if (xhr.status !== 200) throw refused(xhr);
        my.offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10) || 0;
        my.needsOffset = false;
        show(my.offset, 0, my.file.size);
      });
    }
    function patch(my) {
      var chunk = parseInt(root.dataset.chunk, 10);
      var end = Math.min(my.file.size, my.offset + chunk);
      setState(show(my.offset, 0, my.file.size), "uploading");
      return send(
        my, "PATCH", my.url,
        { "Upload-Offset": String(my.offset), "Content-Type": "application/offset+octet-stream" },
        my.file.slice(my.offset, end),
        function (loaded) { if (my === job) setState(show(my.offset, loaded, my.file.size)); }
      ).then(function (xhr) {
        if (xhr.status === 409) { my.needsOffset = true; return; }  // the server has another offset: ask it
        if (xhr.status === 404) { forget(my.key); my.url = null; return; }
        if (xhr.status !== 204) throw refused(xhr);
        my.offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
        if (my.offset >= my.file.size) my.done = true;
      });
    }

    function pauseFor(my, milliseconds) {
      return new Promise(function (resolve) {
        var timer = milliseconds ? setTimeout(wake, milliseconds) : null;
        function wake() { clearTimeout(timer); my.wake = null; resolve(); }
        my.wake = wake;
      });
    }

    function finish(my) {
      show(my.file.size, 0, my.file.size);
      tokenInput.value = my.url.replace(/\/$/, "").split("/").pop();
      pauseButton.hidden = true;
      if (submitWhenDone) {
        setState(msgs.saving, "done");
        submitWhenDone = false;
        if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        else form.submit();
      } else {
        setState(msgs.done, "done");
      }
    }

    function run(my) {
      if (my !== job) return Promise.resolve();
      if (my.done) { finish(my); return Promise.resolve(); }
      var step;
      if (my.paused) step = pauseFor(my, 0);
      else if (!my.url) step = create(my);
      else if (my.needsOffset) step = head(my);
      else step = patch(my);
      return step.then(function () { my.attempt = 0; }, function (failure) {
        if (my !== job) return;
        if (failure.fatal) {
          forget(my.key);
          my.failed = true;
          input.value = "";  // a refused file must not go with the form instead
          pauseButton.hidden = true;
          submitWhenDone = false;
          setState(format(msgs.failed, { message: failure.message }), "failed");
          return;
        }
        my.needsOffset = Boolean(my.url);
        if (my.paused) return;
        my.attempt += 1;
        var seconds = Math.min(30, Math.pow(2, Math.min(my.attempt, 5)));
        setState(navigator.onLine === false ? msgs.offline : format(msgs.retrying, { seconds: seconds }), "retrying");
        return pauseFor(my, seconds * 1000);
      }).then(function () { if (!my.failed) return run(my); });
    }

    function start(file) {
      var key = STORE + endpoint + ":" + [file.name, file.size, file.lastModified].join("|");
      var saved = load(key);
      job = { file: file, key: key, url: saved && saved.size === file.size ? saved.url : null, offset: 0,
              needsOffset: true, paused: false, done: false, failed: false, attempt: 0, xhr: null, wake: null };
      panel.hidden = false;
      pauseButton.hidden = false;
      pauseButton.textContent = msgs.pause;
      note.hidden = true;
      show(0, 0, file.size);
      run(job);
    }

    function stop(my) {
      if (!my) return;
      var xhr = my.xhr;
      my.paused = true;
      if (xhr) xhr.abort();
      if (my.wake) my.wake();
    }

    input.addEventListener("change", function () {
      var previous = job;
      job = null;
      stop(previous);
      tokenInput.value = "";
      if (previous && previous.url && !previous.done) {  // another file chosen: the unfinished one goes
        forget(previous.key);
        send(previous, "DELETE", previous.url, {}).catch(function () { /* the sweep removes it */ });
      }
      if (input.files && input.files[0]) start(input.files[0]);
      else { panel.hidden = true; root.dataset.state = "idle"; }
    });

    pauseButton.addEventListener("click", function () {
      if (!job || job.done || job.failed) return;
      if (job.paused) {
        job.paused = false;
        job.needsOffset = true;
        pauseButton.textContent = msgs.pause;
        if (job.wake) job.wake();
      } else {
        stop(job);
        job.needsOffset = true;
        pauseButton.textContent = msgs.resume;
        setState(msgs.paused, "paused");
      }
    });

    window.addEventListener("online", function () {
      if (job && !job.paused && job.wake) job.wake();  // retry now, not after the back-off
    });

    form.addEventListener("submit", function (event) {
      if (job && !job.done && !job.failed) {
        event.preventDefault();
        event.stopImmediatePropagation();
        submitWhenDone = true;
        submitter = event.submitter || null;
        setState(msgs.waiting);
        return;
      }
      if (tokenInput.value) {
        // The file is on the server already: leave it out of the form, and forget its address.
        if (job) forget(job.key);
        input.disabled = true;
        setTimeout(function () { input.disabled = false; }, 0);
      }
    }, true);

    // After a reload: name what is unfinished, and how far it got, so the editor can pick it again.
    Object.keys(localStorage).filter(function (key) { return key.indexOf(STORE + endpoint + ":") === 0; })
      .forEach(function (key) {
        var saved = load(key);
        if (!saved || !saved.url) { forget(key); return; }
        var probe = { xhr: null };
        send(probe, "HEAD", saved.url, {}).then(function (xhr) {
          if (xhr.status !== 200) { if (xhr.status === 404) forget(key); return; }
          var offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10) || 0;
          var length = parseInt(xhr.getResponseHeader("Upload-Length"), 10) || saved.size;
          if (job || offset >= length) return;
          var line = document.createElement("p");
          line.dataset.resumableUnfinished = saved.name;
          line.textContent = format(msgs.unfinished, { name: saved.name, percent: Math.floor(offset * 100 / length) }) + " ";
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "button button-small button-secondary";
          discard.textContent = msgs.discard;
          discard.addEventListener("click", function () {
            forget(key);
            line.remove();
            send(probe, "DELETE", saved.url, {}).catch(function () { /* the sweep removes it */ });
          });
          line.appendChild(discard);
          note.appendChild(line);
          note.hidden = false;
        }, function () { /* offline: nothing to say yet */ });
      });
  }

  function init() { document.querySelectorAll("[data-resumable]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
