/* The one map (一张图): areas coloured by level, drill-down city → town → community → grid,
   a card per area, a grid's buildings as markers, search (areas, building addresses) that flies
   to the result, and boundary drawing for those allowed (leaflet-geoman).
   All data comes from the JSON endpoints, already in the tile server's coordinate system. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("geo-config").textContent);
  var T = config.text;
  var GRID = config.gridLevel;
  var mapEl = document.getElementById("geo-map");
  var cardEl = document.getElementById("geo-card");
  var trailEl = document.getElementById("geo-trail");
  var resultsEl = document.getElementById("geo-results");

  var map = L.map(mapEl, { zoomSnap: 0.25, minZoom: 3, maxZoom: 19, zoomControl: false });
  L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
  if (config.tiles.url) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  map.setView([39.87, 124.15], 10);
  // While the map pans or zooms, outlines are moving: the container says so, for anyone (or any test)
  // that needs to know where an outline finally lies.
  map.on("movestart zoomstart", function () {
    mapEl.setAttribute("data-moving", "");
  });
  map.on("moveend zoomend", function () {
    mapEl.removeAttribute("data-moving");
  });

  var parentLayer = L.featureGroup().addTo(map);
  var areaLayer = L.featureGroup().addTo(map);
  var buildingLayer = L.featureGroup().addTo(map);
  var layers = {}; // area id → Leaflet layer on the map
  var buildingMarkers = {}; // building id → marker of the grid whose buildings are shown
  var state = { parentId: null, areas: {}, selectedId: null, editing: null };

  document.querySelectorAll(".geo-legend .swatch").forEach(function (swatch) {
    swatch.style.background = config.colours[swatch.getAttribute("data-level")];
  });

  function areaUrl(template, id) {
    return template.replace("/0/", "/" + id + "/");
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function styleFor(level, selected) {
    var colour = config.colours[String(level)];
    return {
      color: colour,
      weight: selected ? 3.5 : 1.5,
      opacity: 0.9,
      fillColor: colour,
      fillOpacity: selected ? 0.35 : 0.14,
    };
  }

  function setSelected(id) {
    if (state.selectedId && layers[state.selectedId] && layers[state.selectedId].setStyle) {
      var previous = state.areas[state.selectedId];
      layers[state.selectedId].setStyle(styleFor(previous.level, false));
    }
    state.selectedId = id;
    if (id && layers[id] && layers[id].setStyle) {
      layers[id].setStyle(styleFor(state.areas[id].level, true));
      if (layers[id].bringToFront) layers[id].bringToFront();
    }
  }

  function renderTrail(trail) {
    trailEl.textContent = "";
    trail.forEach(function (item, i) {
      if (i > 0) trailEl.appendChild(el("span", { class: "sep", text: "›" }));
      var button = el("button", { type: "button", text: item.name });
      if (i === trail.length - 1) button.setAttribute("aria-current", "true");
      else
        button.addEventListener("click", function () {
          load(item.id);
        });
      trailEl.appendChild(button);
    });
  }

  function drawArea(area, labelled) {
    var layer;
    var options = { className: "geo-area geo-level-" + area.level + " geo-area-" + area.id };
    if (area.boundary) {
      layer = L.geoJSON(area.boundary, {
        style: function () {
          return L.extend(styleFor(area.level, false), options);
        },
      });
    } else if (area.centre) {
      layer = L.circleMarker(area.centre, L.extend(styleFor(area.level, false), options, { radius: 7 }));
    } else {
      return;
    }
    if (labelled) {
      // The middle of the outline reads better than the centre point, which may sit near an edge.
      var at = layer.getBounds ? layer.getBounds().getCenter() : area.centre;
      if (at) L.tooltip({ permanent: true, direction: "center", className: "geo-label", interactive: false }).setLatLng(at).setContent(area.name).addTo(areaLayer);
    } else {
      layer.bindTooltip(area.name, { sticky: true });
    }
    layer.on("click", function (e) {
      L.DomEvent.stopPropagation(e);
      if (state.editing) return;
      if (area.level < GRID && area.children > 0) {
        load(area.id).then(function () {
          showCard(area.id);
        });
      } else {
        showCard(area.id);
      }
    });
    layer.addTo(areaLayer);
    layers[area.id] = layer;
  }

  function fit() {
    var bounds = areaLayer.getBounds();
    if (parentLayer.getLayers().length) bounds.extend(parentLayer.getBounds());
    // No zoom animation: a drill-down loads the next level at once, and outlines added while Leaflet
    // animates a zoom are projected for the wrong zoom (drawn off-screen until the next zoom).
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
  }

  function load(parentId) {
    var url = config.urls.areas + (parentId ? "?parent=" + encodeURIComponent(parentId) : "");
    return getJSON(url)
      .then(function (data) {
        stopEditing();
        clearBuildings();
        areaLayer.clearLayers();
        parentLayer.clearLayers();
        layers = {};
        state.areas = {};
        state.selectedId = null;
        state.parentId = parentId || null;
        if (data.parent && data.parent.boundary) {
          L.geoJSON(data.parent.boundary, {
            interactive: false,
            style: { color: config.colours[String(data.parent.level)], weight: 2.5, dashArray: "6 4", fill: false },
          }).addTo(parentLayer);
        }
        var labelled = data.areas.length <= 40;
        data.areas.forEach(function (area) {
          state.areas[area.id] = area;
          drawArea(area, labelled);
        });
        renderTrail(data.trail);
        mapEl.setAttribute("data-loaded-parent", parentId || "");
        mapEl.setAttribute("data-area-count", String(data.areas.length));
        fit();
        // One top area: a city, town or community opens one level down; a single grid shows its card.
        if (data.areas.length === 1 && !data.parent) {
          var only = data.areas[0];
          if (only.level < GRID && only.children > 0) {
            return load(only.id).then(function () {
              return showCard(only.id);
            });
          }
          showCard(only.id);
        }
        return data;
      })
      .catch(function () {
        showMessage(T.failed);
      });
  }

  function showMessage(text) {
    cardEl.textContent = "";
    cardEl.appendChild(el("p", { class: "errors", text: text }));
  }

  function row(dl, label, value) {
    if (value === undefined || value === null) return;
    dl.appendChild(el("dt", { text: label }));
    dl.appendChild(el("dd", { text: String(value) }));
  }

  function showCard(id) {
    return getJSON(areaUrl(config.urls.area, id))
      .then(function (card) {
        setSelected(id);
        renderCard(card);
        return showBuildings(card).then(function () {
          return card;
        });
      })
      .catch(function () {
        showMessage(T.failed);
      });
  }

  function renderCard(card) {
    cardEl.textContent = "";
    cardEl.setAttribute("data-area-id", String(card.id));
    var close = el("button", { type: "button", class: "close", "aria-label": T.cancel, text: "×" });
    close.addEventListener("click", function () {
      stopEditing();
      cardEl.textContent = "";
      cardEl.removeAttribute("data-area-id");
      cardEl.appendChild(el("p", { class: "hint", text: T.hint }));
      setSelected(null);
      clearBuildings();
    });
    cardEl.appendChild(close);
    cardEl.appendChild(el("h2", { text: card.name }));
    var trailNames = card.trail
      .slice(0, -1)
      .map(function (t) {
        return t.name;
      })
      .join(" › ");
    cardEl.appendChild(el("p", { class: "trail", text: config.levels[String(card.level)] + (trailNames ? " · " + trailNames : "") }));
    var dl = el("dl");
    if (card.residents_data) {
      row(dl, T.households, card.households);
      row(dl, T.population, card.population);
    }
    row(dl, T.buildings, card.buildings);
    if (card.open_visits) {
      // Overdue first: that is what needs doing. The list behind the figures is one tap away.
      dl.appendChild(el("dt", { text: T.openVisits }));
      dl.appendChild(
        el("dd", { class: "open-visits" }, [
          el("span", { class: card.open_visits.overdue ? "overdue" : "", text: T.overdue + " " + card.open_visits.overdue }),
          " · ",
          el("span", { text: T.dueThisWeek + " " + card.open_visits.due }),
          " ",
          el("a", { href: card.open_visits.url, text: T.visitList }),
        ])
      );
    }
    if (card.level < GRID) row(dl, T.children, card.children);
    cardEl.appendChild(dl);
    if (!card.boundary) cardEl.appendChild(el("p", { class: "trail", text: T.noBoundary }));

    if (card.workers) {
      cardEl.appendChild(el("h3", { text: T.workers }));
      var list = el("ul", { class: "workers" });
      if (!card.workers.length) list.appendChild(el("li", { text: T.noWorkers }));
      card.workers.forEach(function (w) {
        list.appendChild(
          el("li", {}, [
            el("span", { class: "name", text: w.name }),
            el("span", { class: "kind", text: w.kind }),
            w.phone ? el("span", { class: "phone", text: w.phone }) : null,
          ])
        );
      });
      cardEl.appendChild(list);
    }

    var actions = el("div", { class: "actions" });
    if (card.level < GRID && card.children > 0 && String(state.parentId) !== String(card.id)) {
      var drill = el("button", { type: "button", class: "btn", text: T.drill });
      drill.addEventListener("click", function () {
        load(card.id);
      });
      actions.appendChild(drill);
    }
    if (card.can_edit && window.L.PM) {
      var edit = el("button", { type: "button", class: "btn", "data-action": "edit", text: card.boundary ? T.edit : T.draw });
      edit.addEventListener("click", function () {
        startEditing(card);
      });
      actions.appendChild(edit);
    }
    cardEl.appendChild(actions);
    cardEl.appendChild(el("div", { class: "feedback" }));
  }

  // --- A grid's buildings ---------------------------------------------------------------------

  function clearBuildings() {
    buildingLayer.clearLayers();
    buildingMarkers = {};
    mapEl.removeAttribute("data-buildings-of");
  }

  function buildingPopup(b) {
    var box = el("div", { class: "geo-building-popup" }, [el("strong", { text: b.name }), el("div", { text: b.address })]);
    if (b.households !== undefined && b.households !== null) box.appendChild(el("div", { text: T.households + " " + b.households }));
    if (b.url) box.appendChild(el("a", { href: b.url, text: T.planView }));
    return box;
  }

  // Markers for a grid's buildings (only a grid's: a city's two thousand would hide the outlines).
  function showBuildings(card) {
    if (card.level !== GRID) {
      clearBuildings();
      return Promise.resolve([]);
    }
    return getJSON(areaUrl(config.urls.buildings, card.id)).then(function (data) {
      clearBuildings();
      var unplaced = [];
      data.buildings.forEach(function (b) {
        if (!b.at) {
          unplaced.push(b);
          return;
        }
        var marker = L.circleMarker(b.at, {
          radius: 6,
          weight: 2,
          color: "#37474f",
          fillColor: "#ffffff",
          fillOpacity: 0.95,
          className: "geo-building geo-building-" + b.id,
        });
        marker.bindTooltip(b.name, { direction: "top" });
        marker.bindPopup(buildingPopup(b));
        marker.on("click", function (e) {
          L.DomEvent.stopPropagation(e);
        });
        marker.addTo(buildingLayer);
        buildingMarkers[b.id] = marker;
      });
      // A building with no position is still reachable from the card.
      if (unplaced.length && String(cardEl.getAttribute("data-area-id")) === String(card.id)) {
        cardEl.appendChild(el("h3", { text: T.noPosition }));
        var list = el("ul", { class: "unplaced" });
        unplaced.forEach(function (b) {
          list.appendChild(el("li", {}, [b.url ? el("a", { href: b.url, text: b.name }) : b.name, el("small", { text: " " + b.address })]));
        });
        cardEl.appendChild(list);
      }
      mapEl.setAttribute("data-buildings-of", String(card.id));
      return data.buildings;
    });
  }

  // --- Drawing and editing a boundary ------------------------------------------------------

  function polygonOf(layer) {
    if (!layer || !layer.getLayers) return layer;
    return layer.getLayers()[0];
  }

  function stopEditing() {
    if (!state.editing) return;
    var editing = state.editing;
    state.editing = null;
    if (editing.polygon && editing.polygon.pm) editing.polygon.pm.disable();
    if (editing.drawn) map.removeLayer(editing.drawn);
    if (map.pm) map.pm.disableDraw();
    map.off("pm:create", editing.onCreate);
  }

  function feedback(messages, isError) {
    var box = cardEl.querySelector(".feedback");
    if (!box) return;
    box.textContent = "";
    if (!messages.length) return;
    var list = el("ul", { class: isError ? "errors" : "note" });
    messages.forEach(function (m) {
      list.appendChild(el("li", { text: m }));
    });
    box.appendChild(list);
  }

  function startEditing(card) {
    stopEditing();
    var editing = { card: card, polygon: null, drawn: null, onCreate: null };
    state.editing = editing;
    var actions = cardEl.querySelector(".actions");
    actions.textContent = "";
    var save = el("button", { type: "button", class: "btn", "data-action": "save", text: T.save });
    var cancel = el("button", { type: "button", class: "btn", "data-action": "cancel", text: T.cancel });
    actions.appendChild(save);
    actions.appendChild(cancel);
    cancel.addEventListener("click", function () {
      stopEditing();
      load(state.parentId).then(function () {
        showCard(card.id);
      });
    });
    save.addEventListener("click", function () {
      var layer = editing.drawn || editing.polygon;
      if (!layer) return;
      saveBoundary(card, layer.toGeoJSON().geometry);
    });
    var existing = card.boundary ? polygonOf(layers[card.id]) : null;
    if (existing && existing.pm) {
      editing.polygon = existing;
      existing.pm.enable({ allowSelfIntersection: false });
    } else {
      editing.onCreate = function (e) {
        editing.drawn = e.layer;
        map.pm.disableDraw();
      };
      map.on("pm:create", editing.onCreate);
      map.pm.enableDraw("Polygon", { allowSelfIntersection: false, snappable: true });
    }
  }

  function saveBoundary(card, geometry) {
    fetch(areaUrl(config.urls.boundary, card.id), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify({ boundary: geometry }),
    })
      .then(function (r) {
        return r.json().then(function (data) {
          return { ok: r.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          feedback(result.data.errors || [T.failed], true);
          return;
        }
        stopEditing();
        load(state.parentId).then(function () {
          showCard(card.id).then(function () {
            feedback([T.saved].concat(result.data.warnings || []), false);
          });
        });
      })
      .catch(function () {
        feedback([T.failed], true);
      });
  }

  // --- Search --------------------------------------------------------------------------------

  // Open an area's level, its card and (for a grid) its buildings; everything is drawn before the
  // map flies, so no outline or marker is added while Leaflet animates.
  function openArea(id) {
    return getJSON(areaUrl(config.urls.area, id)).then(function (card) {
      var parent = card.trail.length > 1 ? card.trail[card.trail.length - 2] : null;
      var target = card.level < GRID && card.children > 0 ? card.id : parent ? parent.id : null;
      return load(target).then(function () {
        setSelected(id);
        renderCard(card);
        return showBuildings(card).then(function () {
          return card;
        });
      });
    });
  }

  function flyToArea(card) {
    var layer = layers[card.id];
    if (card.level === GRID && layer && layer.getBounds) map.flyToBounds(layer.getBounds(), { maxZoom: 16, duration: 0.6 });
  }

  function flyToBuilding(result) {
    var marker = buildingMarkers[result.id];
    if (!marker) return;
    map.once("moveend", function () {
      marker.openPopup();
    });
    map.flyTo(marker.getLatLng(), Math.max(map.getZoom(), 17), { duration: 0.6 });
  }

  function searchLabel(r) {
    return r.kind === "area" ? config.levels[String(r.level)] : T.building;
  }

  document.getElementById("geo-search").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = document.getElementById("geo-search-q").value.trim();
    if (!q) return;
    getJSON(config.urls.search + "?q=" + encodeURIComponent(q)).then(function (data) {
      resultsEl.textContent = "";
      resultsEl.hidden = false;
      if (!data.results.length) resultsEl.appendChild(el("li", { text: T.notFound }));
      data.results.forEach(function (r) {
        var button = el("button", { type: "button", "data-kind": r.kind }, [r.name, el("small", { text: searchLabel(r) + (r.context ? " · " + r.context : "") })]);
        button.addEventListener("click", function () {
          resultsEl.hidden = true;
          var opened = r.kind === "area" ? openArea(r.id).then(flyToArea) : openArea(r.grid).then(function () {
            flyToBuilding(r);
          });
          opened.catch(function () {
            showMessage(T.failed);
          });
        });
        resultsEl.appendChild(el("li", {}, [button]));
      });
    });
  });
  document.addEventListener("click", function (e) {
    if (!resultsEl.contains(e.target) && e.target.id !== "geo-search-q") resultsEl.hidden = true;
  });

  load(null);
})();
