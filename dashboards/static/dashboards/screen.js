/* The command screen (the city's, or a town's or community's with ?area=): draws the snapshot, then
   follows /ws/dashboards/screen/ — every push carries
   the item that happened and fresh figures. After a drop it reconnects with the last item id it saw
   and gets what it missed (or a fresh snapshot); the page never reloads. */
(function () {
  "use strict";
  var root = document.querySelector(".screen");
  var initial = document.getElementById("screen-data");
  if (!root || !initial || !window.echarts) return;
  var text = JSON.parse(document.getElementById("screen-labels").textContent);
  var state = { lastId: 0, map: null, seen: {} };
  var mapChart = window.echarts.init(document.getElementById("screen-map"), "dark", { renderer: "canvas" });
  var trendChart = window.echarts.init(document.getElementById("screen-trends"), "dark", { renderer: "canvas" });
  var status = document.getElementById("screen-status");

  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  }

  function kindLabel(kind) {
    return (text.kinds && text.kinds[kind]) || kind;
  }

  function drawFigures(figures) {
    var box = document.getElementById("screen-figures");
    box.replaceChildren.apply(box, figures.map(function (f) {
      var d = el("div", "screen-figure");
      d.dataset.figure = f.key;
      d.appendChild(el("b", "", String(f.value)));
      d.appendChild(el("span", "", f.label));
      return d;
    }));
  }

  function drawTrends(trends) {
    trendChart.setOption({
      backgroundColor: "transparent", animation: false,
      textStyle: { fontSize: Math.round(window.innerWidth / 110) },
      legend: { top: 0, textStyle: { fontSize: Math.round(window.innerWidth / 120) } },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: trends.days, boundaryGap: false },
      yAxis: trends.series.map(function (_s, i) { return { type: "value", splitLine: { show: i === 0 } }; }),
      series: trends.series.map(function (s, i) {
        return { name: s.name, type: "line", smooth: true, yAxisIndex: i, data: s.data, areaStyle: { opacity: 0.15 } };
      })
    }, true);
  }

  function drawMap(snapshot) {
    if (snapshot.map) state.map = snapshot.map;
    if (snapshot.boundaries && snapshot.boundaries.features && snapshot.boundaries.features.length && !state.geo) {
      window.echarts.registerMap("dashboards-grids", snapshot.boundaries);
      state.geo = true;
    }
    var points = (state.map || []).map(function (p) { return { name: p.name, value: p.point.concat([p.level]) }; });
    var live = (snapshot.live || []).filter(function (e) { return e.point; })
      .map(function (e) { return { name: e.title, value: e.point.concat([e.venues_online]) }; });
    var reports = (snapshot.reports || []).filter(function (r) { return r.point; })
      .map(function (r) { return { name: r.title, value: r.point }; });
    var base = {
      backgroundColor: "transparent", animation: false,
      tooltip: { trigger: "item", formatter: function (p) { return p.name; } }
    };
    var series = [
      { name: "areas", type: "scatter", data: points, symbolSize: function (v) { return v[2] >= 4 ? 5 : 9; },
        itemStyle: { color: "#2f6fb0", opacity: 0.8 } },
      { name: "reports", type: "effectScatter", data: reports, symbolSize: 10, itemStyle: { color: "#f94144" } },
      { name: "live", type: "effectScatter", data: live, symbolSize: 18, itemStyle: { color: "#ffd166" } }
    ];
    if (state.geo) {
      // The grids' own shapes (一张图); points sit on the same longitude/latitude.
      base.geo = { map: "dashboards-grids", roam: true, itemStyle: { areaColor: "#0e2a47", borderColor: "#3d6a99" },
        emphasis: { itemStyle: { areaColor: "#1d4f80" }, label: { show: false } } };
      series.forEach(function (s) { s.coordinateSystem = "geo"; });
    } else {
      var xs = points.map(function (p) { return p.value[0]; });
      var ys = points.map(function (p) { return p.value[1]; });
      base.grid = { left: 4, right: 4, top: 4, bottom: 4 };
      base.xAxis = { type: "value", show: false, scale: true, min: Math.min.apply(null, xs.concat([180])) - 0.01, max: Math.max.apply(null, xs.concat([-180])) + 0.01 };
      base.yAxis = { type: "value", show: false, scale: true, min: Math.min.apply(null, ys.concat([90])) - 0.01, max: Math.max.apply(null, ys.concat([-90])) + 0.01 };
    }
    base.series = series;
    mapChart.setOption(base, true);
  }

  function drawLive(live) {
    var list = document.getElementById("screen-live");
    if (!live.length) { list.replaceChildren(el("li", "", text.nothing)); return; }
    list.replaceChildren.apply(list, live.map(function (e) {
      var li = el("li", "", e.title);
      li.appendChild(el("small", "", e.venues_online + " " + text.venues));
      return li;
    }));
  }

  function drawDepartments(rows) {
    var body = document.querySelector("#screen-departments tbody");
    if (!body) return; // a town's or community's screen: the ranking is the centre's
    if (!rows || !rows.length) {
      var tr = el("tr");
      var td = el("td", "", text.noDepartments);
      td.colSpan = 5;
      tr.appendChild(td);
      body.replaceChildren(tr);
      return;
    }
    body.replaceChildren.apply(body, rows.map(function (r) {
      var tr = el("tr");
      [r.name, r.open, r.overdue, r.completion, r.satisfaction].forEach(function (v, i) {
        tr.appendChild(el(i ? "td" : "th", "", v === null || v === undefined ? "—" : String(v)));
      });
      return tr;
    }));
  }

  function addItem(item) {
    if (!item || state.seen[item.id]) return;
    state.seen[item.id] = true;
    state.lastId = Math.max(state.lastId, item.id);
    var feed = document.getElementById("screen-feed");
    var li = el("li", "", kindLabel(item.kind) + " · " + (item.title || ""));
    li.dataset.item = item.id;
    li.appendChild(el("small", "", (item.at || "").slice(11, 16)));
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 12) feed.removeChild(feed.lastChild);
  }

  function apply(snapshot) {
    if (!snapshot) return;
    state.lastId = Math.max(state.lastId, snapshot.last_id || 0);
    drawFigures(snapshot.figures || []);
    drawTrends(snapshot.trends);
    drawMap(snapshot);
    drawLive(snapshot.live || []);
    drawDepartments(snapshot.departments);
    root.dataset.asOf = snapshot.as_of;
  }

  var first = JSON.parse(initial.textContent);
  apply(first);
  window.requestAnimationFrame(function () { mapChart.resize(); trendChart.resize(); });
  state.lastId = first.last_id || 0;

  var retry = 0, ping = null;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var sep = root.dataset.ws.indexOf("?") < 0 ? "?" : "&";
    var ws = new WebSocket(scheme + window.location.host + root.dataset.ws + sep + "last=" + state.lastId);
    state.socket = ws;
    ws.onopen = function () {
      retry = 0;
      status.dataset.state = "live";
      status.textContent = text.connected;
      ping = window.setInterval(function () { ws.send(JSON.stringify({ type: "ping" })); }, 25000);
    };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "snapshot") {
        (msg.items || []).forEach(addItem);
        apply(msg.snapshot);
      } else if (msg.type === "push") {
        addItem(msg.item);
        apply(msg.snapshot);
      }
    };
    ws.onclose = function (ev) {
      window.clearInterval(ping);
      status.dataset.state = "reconnecting";
      status.textContent = text.reconnecting;
      root.dataset.drops = String(Number(root.dataset.drops || 0) + 1);
      if (ev.code === 4401 || ev.code === 4403) return;
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, 500 * Math.pow(2, retry - 1));
    };
  }
  connect();

  function tick() {
    document.getElementById("screen-clock").textContent = new Date().toLocaleString();
  }
  tick();
  window.setInterval(tick, 1000);
  window.addEventListener("resize", function () { mapChart.resize(); trendChart.resize(); });
  window.commandScreen = { state: state, map: mapChart, trends: trendChart };
})();
