/* Campaign wizard: the search box above the node tree hides nodes that do not match
 * (a node stays visible when one below it matches). No data leaves the page. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-filter-tree]").forEach(function (input) {
      var tree = document.getElementById(input.dataset.filterTree);
      if (!tree) return;
      input.addEventListener("input", function () {
        var term = input.value.trim().toLowerCase();
        var items = Array.prototype.slice.call(tree.querySelectorAll("li")).reverse();
        items.forEach(function (li) {
          var own = (li.dataset.search || "").toLowerCase().indexOf(term) !== -1;
          var below = li.querySelector("li:not([hidden])") !== null;
          li.hidden = term !== "" && !own && !below;
        });
      });
    });
  });
})();
