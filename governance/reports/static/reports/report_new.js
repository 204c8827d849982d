// The report form on a phone: location (browser geolocation with accuracy, or a pin), a draft kept on
// the phone until the server confirms, one idempotency key per report (a retry returns the same
// report), and "same problem?" for open reports of the category nearby.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var el = function (name) { return form.elements[name]; };
  var draftKey = form.dataset.draftKey;
  var statusEl = document.getElementById("locate-status");
  var nearbyEl = document.getElementById("nearby");
  var DRAFT_FIELDS = ["category", "description", "latitude", "longitude", "accuracy_m", "address", "building", "household", "reporter_kind", "idempotency_key"];
  var picker = document.getElementById("place-picker");
  var wantedHousehold = "";
  var marker = null;
  var map = null;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, k) { return String(values[k]); });
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }
  function saveDraft() {
    var draft = {};
    DRAFT_FIELDS.forEach(function (name) { if (el(name)) { draft[name] = el(name).value; } });
    draft.anonymous = el("anonymous").checked;
    try { localStorage.setItem(draftKey, JSON.stringify(draft)); } catch (e) { /* private mode: no draft */ }
  }
  function restoreDraft() {
    var raw = null;
    try { raw = localStorage.getItem(draftKey); } catch (e) { return; }
    if (!raw) { return; }
    var draft = JSON.parse(raw);
    var restored = false;
    DRAFT_FIELDS.forEach(function (name) {
      if (name === "household") { wantedHousehold = draft[name] || ""; return; }  // options arrive with the building
      if (el(name) && draft[name] && !el(name).value) { el(name).value = draft[name]; restored = true; }
    });
    if (draft.anonymous) { el("anonymous").checked = true; }
    if (restored && draft.description) { statusEl.textContent = form.dataset.textDraft; }
  }

  function setPoint(lat, lng, accuracy) {
    el("latitude").value = Number(lat).toFixed(6);
    el("longitude").value = Number(lng).toFixed(6);
    el("accuracy_m").value = accuracy == null ? "" : Math.round(accuracy);
    if (map) {
      var ll = [Number(lat), Number(lng)];
      if (marker) { marker.setLatLng(ll); } else { marker = window.L.marker(ll, { draggable: true }).addTo(map); marker.on("dragend", onDrag); }
      map.setView(ll, 17);
    }
    saveDraft();
    checkNearby();
  }
  function onDrag() {
    var ll = marker.getLatLng();
    setPoint(ll.lat, ll.lng, null);
  }
  function locate() {
    if (!navigator.geolocation) { statusEl.textContent = form.dataset.textDenied; return; }
    statusEl.textContent = form.dataset.textLocating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      statusEl.textContent = fmt(form.dataset.textLocated, { m: Math.round(pos.coords.accuracy) });
      setPoint(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
    }, function () {
      statusEl.textContent = form.dataset.textDenied;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function checkNearby() {
    var category = el("category").value, lat = el("latitude").value, lng = el("longitude").value;
    el("same_as").value = "";
    if (!category || !lat || !lng) { nearbyEl.hidden = true; return; }
    var url = form.dataset.nearbyUrl + "?" + new URLSearchParams({ category: category, latitude: lat, longitude: lng });
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      nearbyEl.textContent = "";
      if (!data.reports.length) { nearbyEl.hidden = true; return; }
      data.reports.forEach(function (r) {
        var p = document.createElement("p");
        p.textContent = fmt(form.dataset.textSame, { d: r.distance_m }) + " " + r.number + " · " + r.category + " · " + r.status + " · " + r.reported_at;
        var b = document.createElement("button");
        b.type = "button"; b.className = "btn"; b.dataset.sameAs = r.id;
        b.textContent = form.dataset.textFollow;
        b.addEventListener("click", function () { el("same_as").value = r.id; form.requestSubmit(); });
        p.appendChild(document.createElement("br")); p.appendChild(b);
        nearbyEl.appendChild(p);
      });
      nearbyEl.hidden = false;
    }).catch(function () { nearbyEl.hidden = true; });
  }

  // A building (and home) from the grid data: the homes load for the building picked; the pin moves to it.
  function fillSelect(select, items, label, keepChosen) {
    var keep = select.value;
    var chosen = keep ? select.options[select.selectedIndex] : null;
    select.replaceChildren(new Option("—", ""));
    // A new search keeps the building already chosen (and its homes) at the top of the list.
    if (keepChosen && chosen && !items.some(function (item) { return String(item.id) === keep; })) {
      select.appendChild(chosen);
    }
    items.forEach(function (item) {
      var option = new Option(label(item), String(item.id));
      option.dataset.lat = item.latitude || ""; option.dataset.lng = item.longitude || "";
      select.appendChild(option);
    });
    if (keep) { select.value = keep; }
  }
  function loadHouseholds(movePin) {
    var building = el("building"), household = el("household");
    household.disabled = true;
    fillSelect(household, [], String);
    if (!building.value) { saveDraft(); return; }
    var chosen = building.options[building.selectedIndex];
    if (movePin && chosen && chosen.dataset.lat) { setPoint(chosen.dataset.lat, chosen.dataset.lng, null); }
    var url = picker.dataset.placesUrl + "?" + new URLSearchParams({ building: building.value });
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      fillSelect(household, data.households, function (h) { return h.label; });
      household.disabled = !data.households.length;
      if (wantedHousehold) { household.value = wantedHousehold; wantedHousehold = ""; }
      saveDraft();
    }).catch(function () { /* the building alone still places the report */ });
  }
  function initPicker() {
    if (!picker) { return; }
    el("building").addEventListener("change", function () { loadHouseholds(true); });
    var search = document.getElementById("place-search");
    var timer = null;
    if (search) {
      search.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          if (search.value.trim().length < 1) { return; }
          var url = picker.dataset.placesUrl + "?" + new URLSearchParams({ q: search.value.trim() });
          fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
            fillSelect(el("building"), data.buildings, function (b) { return b.grid + " · " + b.name + " · " + b.address; }, true);
          }).catch(function () { /* keep the list as it was */ });
        }, 300);
      });
    }
    if (el("building").value) { loadHouseholds(false); }
  }

  function initMap() {
    var box = document.getElementById("report-map");
    if (!box || !window.L) { return; }
    box.hidden = false;
    map = window.L.map(box).setView([Number(box.dataset.lat) || 40.13, Number(box.dataset.lng) || 124.39], 13);
    // The tile server is the site's choice (MAP_TILE_URL, as on the one map); without one the pin still works.
    if (box.dataset.tileUrl) { window.L.tileLayer(box.dataset.tileUrl, { maxZoom: 19, attribution: box.dataset.tileAttribution || "" }).addTo(map); }
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, null); });
    if (el("latitude").value && el("longitude").value) { setPoint(el("latitude").value, el("longitude").value, el("accuracy_m").value || null); }
  }

  if (!el("idempotency_key").value) { el("idempotency_key").value = newKey(); }
  restoreDraft();
  if (!el("idempotency_key").value) { el("idempotency_key").value = newKey(); }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", function (e) {
    saveDraft();
    if (["category", "latitude", "longitude"].indexOf(e.target.name) >= 0) { checkNearby(); }
  });
  document.getElementById("locate-btn").addEventListener("click", locate);
  initPicker();
  form.addEventListener("submit", function () {
    saveDraft();
    document.getElementById("report-submit").disabled = true;
    if (!navigator.onLine) {
      var note = document.getElementById("offline-note");
      note.textContent = form.dataset.textOffline; note.hidden = false;
    }
    // Re-enable after a while: a lost response must not leave the phone stuck (the key makes a retry safe).
    setTimeout(function () { document.getElementById("report-submit").disabled = false; }, 8000);
  });
  window.addEventListener("load", initMap);
  if (el("category").value && el("latitude").value) { checkNearby(); }
})();
