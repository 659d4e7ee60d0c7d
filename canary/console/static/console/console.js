"use strict";
// The console's own behaviour; no inline scripts, so a strict Content-Security-Policy holds.

// A select marked data-autosubmit submits its form when changed (language, filters).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

document.addEventListener("DOMContentLoaded", function () {
  // Case files are built in the background: poll their progress until ready.
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

// Upload progress: htmx reports the request's upload progress; show it on the form's bar.
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
  }
});
