// The dashboard's charts: each [data-chart] element draws the dataset of that name from the page's
// JSON block (#chart-data). The numbers are also in the table beside each chart.
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  if (!block || !window.echarts) return;
  var data = JSON.parse(block.textContent);
  var palette = ["#c8102e", "#1f6fb2", "#f5a623", "#2e8b57", "#6f42c1", "#6c757d"];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var set = data[el.getAttribute("data-chart")];
    if (!set) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: palette,
      animation: false,
      grid: { left: 40, right: 16, top: set.series.length > 1 ? 32 : 12, bottom: 28, containLabel: true },
      legend: set.series.length > 1 ? { top: 0 } : undefined,
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: set.labels, axisLabel: { hideOverlap: true } },
      yAxis: set.series.map(function (s, i) {
        return { type: "value", minInterval: 1, splitLine: { show: i === 0 } };
      }),
      series: set.series.map(function (s, i) {
        return { name: s.name, type: set.type, data: s.values, yAxisIndex: i, smooth: false,
                 barMaxWidth: 32, label: { show: set.type === "bar" && set.labels.length <= 12, position: "top" } };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
