"use strict";
// The console's own behaviour; no inline scripts, so a strict Content-Security-Policy holds.

// A select marked data-autosubmit submits its form when changed (language, filters).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// Upload progress: htmx reports the request's upload progress; show it on the form's bar.
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
  }
});
