/* Console charts drawn by Apache ECharts (vendor/echarts.min.js).
 *
 * Pages carry no script of their own: a chart is a <div data-chart="KIND" data-source="ID">
 * whose data sits in a json_script element with that id. Each KIND below turns that data into
 * ECharts options. A chart re-reads its data when htmx swaps in a new json_script element.
 */
(function () {
  "use strict";

  var PALETTE = ["#c53030", "#2b6cb0", "#2f855a", "#b7791f", "#6b46c1", "#319795", "#718096"];

  function lang() {
    return (document.documentElement.lang || "zh-hans").indexOf("en") === 0 ? "EN" : "ZH";
  }

  var builders = {
    // {"days": [...], "series": [{"kind", "label", "counts"}]}: signals per day, stacked by kind.
    "signals-per-day": function (data) {
      return {
        color: PALETTE,
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 56 },
        xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: data.series.map(function (s) {
          return { name: s.label, type: "bar", stack: "signals", data: s.counts, emphasis: { focus: "series" } };
        }),
      };
    },
    // {"times": [...], "series": [{"node", "values"}], "noise_only": [...], "noise_label": "..."}
    "suspicion": function (data) {
      var series = data.series.map(function (s) {
        return { name: s.node, type: "line", step: "end", data: s.values, symbolSize: 6 };
      });
      series.push({
        name: data.noise_label, type: "line", step: "end", data: data.noise_only,
        lineStyle: { type: "dashed" }, itemStyle: { color: "#718096" }, symbolSize: 4,
      });
      return {
        color: PALETTE,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return Number(v).toFixed(3); } },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 48, right: 16, top: 16, bottom: 56 },
        xAxis: { type: "category", data: data.times },
        yAxis: { type: "value", min: 0, max: 1 },
        series: series,
      };
    },
  };

  function draw(element) {
    var builder = builders[element.dataset.chart];
    var source = document.getElementById(element.dataset.source);
    if (!builder || !source || typeof echarts === "undefined") return;
    var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { locale: lang(), renderer: "svg" });
    chart.setOption(builder(JSON.parse(source.textContent)), true);
    element.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
})();
