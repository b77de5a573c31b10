// Draws every <canvas data-chart> from the JSON the page embeds (json_script).
// The numbers are also in tables or text next to each chart, so nothing depends on this.
(function () {
  "use strict";

  // Fill the stats form's time zone from the browser, so the next "Apply" uses local hours.
  const tz = document.getElementById("id_tz");
  if (tz && !tz.value && window.Intl) {
    tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  }

  if (!window.Chart) return;
  const Chart = window.Chart;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  const ACCENT = "#117a3e";
  const ACCENT_SOFT = "rgba(17, 122, 62, 0.75)";
  const cache = {};

  function payload(id) {
    if (!(id in cache)) {
      const el = document.getElementById(id);
      cache[id] = el ? JSON.parse(el.textContent) : null;
    }
    return cache[id];
  }

  function truncate(label, size) {
    return label.length > size ? label.slice(0, size - 1) + "…" : label;
  }

  function barChart(canvas, series, horizontal) {
    const labelSize = canvas.parentElement.clientWidth < 420 ? 16 : 28;
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{ label: series.label, data: series.values, backgroundColor: ACCENT_SOFT, borderColor: ACCENT }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: horizontal
          ? { y: { ticks: { callback: function (v) { return truncate(this.getLabelForValue(v), labelSize); } } } }
          : { x: { ticks: { autoSkip: true, maxRotation: 0 } } },
      },
    });
  }

  function signedBarChart(canvas, series) {
    const colors = series.values.map((v) => (v >= 0 ? ACCENT_SOFT : "rgba(179, 38, 30, 0.75)"));
    const chart = barChart(canvas, series, true);
    chart.data.datasets[0].backgroundColor = colors;
    chart.update();
    return chart;
  }

  function scatterChart(canvas, series) {
    const max = Math.max(1, ...series.points.map((p) => Math.max(p.x, p.y)));
    return new Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          { label: series.label, data: series.points, backgroundColor: ACCENT_SOFT, pointRadius: 3 },
          {
            label: "perfect prediction",
            type: "line",
            data: [{ x: 0, y: 0 }, { x: max, y: max }],
            borderColor: "#9aa5b1",
            borderDash: [4, 4],
            pointRadius: 0,
          },
        ],
      },
      options: {
        scales: {
          x: { title: { display: true, text: series.x_label } },
          y: { title: { display: true, text: series.y_label } },
        },
      },
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = canvas.dataset.source;
    const data = payload(source || "stats-charts");
    if (!data) return;
    const series = source ? data : data[canvas.dataset.chart];
    if (!series) return;
    const kind = canvas.dataset.kind;
    if (kind === "scatter") scatterChart(canvas, series);
    else if (kind === "signed") signedBarChart(canvas, series);
    else barChart(canvas, series, kind === "hbar");
  });
})();
