// Console behaviour, served as a static file: the Content-Security-Policy allows no inline script.
"use strict";

// <select data-autosubmit> submits its form when the choice changes (language, list filters).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// Case files are built in the background: poll their progress until ready.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".casefile").forEach(function (row) {
    var status = row.querySelector(".status");
    function poll() {
      fetch(row.dataset.progressUrl).then(function (r) { return r.json(); }).then(function (data) {
        status.textContent = data.status + " " + data.progress + "%";
        if (data.status === "queued" || data.status === "running") { setTimeout(poll, 1000); }
        else if (data.download) { location.reload(); }
      });
    }
    if (/queued|running|排队|生成/.test(status.textContent) && status.textContent.indexOf("100%") < 0) { poll(); }
  });
});
