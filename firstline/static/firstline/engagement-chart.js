// eNPS trend per team, drawn from the JSON the page embeds with json_script (CSP forbids inline
// scripts). The table under the chart carries every figure; the chart is the picture of it.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("enps-chart");
    var source = document.getElementById("enps-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = ["#1f5fbf", "#1c6b3a", "#a3261d", "#8a5a00", "#5b2a7a", "#00707a", "#4f5868", "#b0408a"];
    var dashes = [[], [6, 3], [2, 2], [8, 2, 2, 2], [], [6, 3], [2, 2], [8, 2, 2, 2]];
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.data,
            borderColor: colours[index % colours.length],
            backgroundColor: colours[index % colours.length],
            borderDash: dashes[index % dashes.length],
            pointStyle: ["circle", "rect", "triangle", "rectRot"][index % 4],
            pointRadius: 4,
            spanGaps: false,
          };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { min: -100, max: 100, title: { display: true, text: "eNPS" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
