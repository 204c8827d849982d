/* Dashboards: draws each chart with ECharts from the page's JSON; the tables beside them carry the
   same figures for screen readers and copying. Clicking an organisation drills down to it. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = {};
  var palette = ["#c8102e", "#f5a623", "#2f6fb0", "#3a9d5d", "#8e44ad", "#16a0a0", "#d35400", "#7f8c8d"];

  function option(c) {
    var base = { color: palette, animation: false, tooltip: { trigger: c.kind === "pie" ? "item" : "axis", confine: true } };
    if (c.kind === "pie") {
      var s = c.series[0];
      base.legend = { type: "scroll", bottom: 0 };
      base.series = [{
        name: s.name, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        data: c.categories.map(function (name, i) { return { name: name, value: s.data[i] }; })
      }];
      return base;
    }
    base.legend = { top: 0, type: "scroll" };
    if (c.kind === "bar") {
      base.grid = { left: 8, right: 24, top: 32, bottom: 8, containLabel: true };
      base.yAxis = { type: "category", data: c.categories, inverse: true, axisLabel: { width: 140, overflow: "truncate" } };
      base.xAxis = { type: "value" };
    } else if (c.kind === "column") {
      base.grid = { left: 8, right: 16, top: 32, bottom: 8, containLabel: true };
      base.xAxis = { type: "category", data: c.categories };
      base.yAxis = { type: "value" };
    } else {
      base.grid = { left: 8, right: 16, top: 32, bottom: 8, containLabel: true };
      base.xAxis = { type: "category", data: c.categories, boundaryGap: false };
      base.yAxis = [{ type: "value" }, { type: "value", splitLine: { show: false } }];
    }
    base.series = c.series.map(function (s, i) {
      var type = c.kind === "column" ? "bar" : c.kind;
      var one = { name: s.name, type: type, data: s.data, cursor: c.by === "child" ? "pointer" : "default" };
      if (c.stacked) one.stack = "total";
      if (c.kind === "line") { one.smooth = true; one.yAxisIndex = i > 0 ? 1 : 0; }
      return one;
    });
    return base;
  }

  data.charts.forEach(function (c) {
    var el = document.querySelector('[data-chart="' + c.key + '"]');
    if (!el) return;
    if (c.kind === "bar") el.style.height = Math.max(260, 36 * c.categories.length + 60) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(c));
    chart.on("click", function (params) {
      var link = c.links[params.dataIndex];
      if (link) window.location.assign(link);
    });
    charts[c.key] = chart;
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });

  document.addEventListener("click", function (ev) {
    var png = ev.target.closest("[data-png]");
    if (png) {
      var chart = charts[png.getAttribute("data-png")];
      if (!chart) return;
      var a = document.createElement("a");
      a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      a.download = (document.title.split(" · ")[0] || "chart") + "-" + png.getAttribute("data-png") + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
      return;
    }
    var copy = ev.target.closest("[data-copy]");
    if (copy) {
      var table = document.getElementById(copy.getAttribute("data-copy"));
      var text = Array.prototype.map.call(table.querySelectorAll("tr"), function (tr) {
        return Array.prototype.map.call(tr.children, function (cell) { return cell.textContent.trim(); }).join("\t");
      }).join("\n");
      var done = function () { copy.setAttribute("data-copied", "1"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { selectTable(table); });
      } else {
        selectTable(table);
      }
    }
  });

  function selectTable(table) {
    var range = document.createRange();
    range.selectNodeContents(table);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  window.dashboardCharts = charts;
})();
