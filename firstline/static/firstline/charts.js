/* Firstline charts: one small initializer for every chart on a page.
 *
 * A chart is a <canvas data-chart="ID"> next to <script type="application/json" id="ID"> (Django's
 * json_script), made by firstline/core/charts.py: {type: "trend" | "funnel", labels: [...],
 * series: [{label, values, display}], axis: {values, labels}}. Every text on the chart (tooltips,
 * the value axis) is written by the server's formatting module, so it reads as the tables do.
 * No inline script is needed, so the Content-Security-Policy stays strict. Series differ by line
 * style and point shape as well as colour, and every chart has a table or summary next to it, so
 * nothing depends on colour alone. Reusable by any page: include chart.umd.min.js, then this file.
 */
(function () {
  "use strict";

  var STYLES = [
    { color: "#1f5fbf", dash: [], point: "circle" },
    { color: "#6b7280", dash: [6, 4], point: "rect" },
    { color: "#b45309", dash: [2, 3], point: "triangle" },
    { color: "#047857", dash: [10, 3, 2, 3], point: "rectRot" },
  ];

  function datasets(spec, kind) {
    return spec.series.map(function (series, index) {
      var style = STYLES[index % STYLES.length];
      return {
        label: series.label,
        data: series.values,
        display: series.display,
        borderColor: style.color,
        backgroundColor: kind === "line" ? style.color : style.color + "cc",
        borderDash: style.dash,
        pointStyle: style.point,
        pointRadius: 4,
        borderWidth: 2,
      };
    });
  }

  // The value axis shows exactly the server's ticks, with the server's labels.
  function valueAxis(spec) {
    var ticks = spec.axis.values;
    return {
      min: 0,
      max: ticks[ticks.length - 1],
      afterBuildTicks: function (axis) {
        axis.ticks = ticks.map(function (value) { return { value: value }; });
      },
      ticks: { callback: function (value, index) { return spec.axis.labels[index]; } },
    };
  }

  function config(spec) {
    var kind = spec.type === "trend" ? "line" : "bar";
    var valueKey = spec.type === "funnel" ? "x" : "y";
    var scales = {};
    scales[valueKey] = valueAxis(spec);
    return {
      type: kind,
      data: { labels: spec.labels, datasets: datasets(spec, kind) },
      options: {
        indexAxis: spec.type === "funnel" ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + item.dataset.display[item.dataIndex];
              },
            },
          },
        },
        scales: scales,
      },
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) return;
    var spec = JSON.parse(source.textContent);
    (canvas.closest("figure") || canvas.parentElement).classList.add("chart-ready");
    new window.Chart(canvas, config(spec));
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  window.FirstlineCharts = { draw: draw };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
