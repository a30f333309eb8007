// Draws the Plotly figures the server embedded with json_script (no inline script: the CSP forbids it).
// Each container names its figure: <div class="chart" data-figure="fulfilment">.
(function () {
  "use strict";

  // The mode bar styles its buttons with an injected <style>, which the CSP refuses; the charts are read-only.
  var CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

  function draw() {
    var source = document.getElementById("dashboard-figures");
    if (!source || typeof window.Plotly === "undefined") {
      return;
    }
    var figures = JSON.parse(source.textContent);
    document.querySelectorAll("[data-figure]").forEach(function (container) {
      var figure = figures[container.dataset.figure];
      if (!figure) {
        return;
      }
      window.Plotly.newPlot(container, figure.data, figure.layout, CONFIG).then(function () {
        container.dataset.rendered = "true";
        // data-links: a point whose customdata is a page's address opens that page when clicked
        if (container.dataset.links === "true") {
          container.on("plotly_click", function (event) {
            var point = event.points && event.points[0];
            if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "/") {
              window.location.assign(point.customdata);
            }
          });
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
