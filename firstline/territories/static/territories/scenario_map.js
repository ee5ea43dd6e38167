// The territory scatter: accounts by longitude/latitude, one colour *and* marker shape per territory,
// moved accounts larger with a dark outline. Data comes from a json_script block (no inline script).
(function () {
  "use strict";
  const source = document.getElementById("territory-map-data");
  const canvas = document.getElementById("territory-map");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const shapes = ["circle", "triangle", "rect", "rectRot", "star", "cross", "crossRot", "rectRounded", "line", "dash"];
  const colour = (i) => `hsl(${(i * 137.5) % 360}, 62%, 45%)`;
  const moved = new Set(data.moved);

  function datasets(which) {
    const labels = data[which];
    return data.names.map((name, t) => {
      const points = [];
      labels.forEach((label, i) => { if (label === t) points.push({ x: data.lon[i], y: data.lat[i], moved: which === "after" && moved.has(i) }); });
      return {
        label: name,
        data: points,
        pointStyle: shapes[t % shapes.length],
        backgroundColor: colour(t),
        borderColor: points.map((p) => (p.moved ? "#111" : colour(t))),
        borderWidth: points.map((p) => (p.moved ? 2 : 1)),
        pointRadius: points.map((p) => (p.moved ? 6 : 3)),
      };
    });
  }

  // `moved` above uses unit indexes; the server sends account ids, so map them once.
  const index = new Map();
  (data.account_ids || []).forEach((id, i) => index.set(id, i));
  if (index.size) {
    const ids = data.moved;
    moved.clear();
    ids.forEach((id) => { if (index.has(id)) moved.add(index.get(id)); });
  }

  const chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets: datasets("after") },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { title: { display: true, text: "Longitude" } }, y: { title: { display: true, text: "Latitude" } } },
      plugins: { legend: { position: "right", labels: { usePointStyle: true } } },
    },
  });
  canvas.dataset.ready = "true";

  document.querySelectorAll("[data-map-show]").forEach((button) => {
    button.addEventListener("click", () => {
      chart.data.datasets = datasets(button.dataset.mapShow);
      chart.update();
      document.querySelectorAll("[data-map-show]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    });
  });
})();
