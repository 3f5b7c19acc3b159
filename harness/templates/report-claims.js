// The article's claims: each claim's row heading is a <details> (a phone taps a claim open, and
// so without the script). A wide screen shows each claim's evidence beside it (report.css): there
// the heading is opened and is no toggle, no Tab stop (18 stops that changed nothing) and not
// announced as one ("collapsed"), and a press on it closes nothing. (ARIA in HTML gives a summary
// no other role because it toggles; this one no longer does: a plain container's role.)
var wideClaims = window.matchMedia("(min-width: 701px)");  // report.css's wide screen (or paper)
var claimHeads = all("table.claims details.claim");
// A phone's closed claim hides its cells hidden="until-found", not display: none (report.css):
// find-in-page finds their text (a verdict, "not covered: ...") and opens the claim. A browser
// without it (Safari) keeps display: none: there the attribute would hide a link's target card.
var untilFound = "onbeforematch" in document.body;
function cellsFollow(d) {
  var shut = untilFound && !wideClaims.matches && !d.open;
  Array.prototype.forEach.call(d.closest("tr").cells, function (c) {
    if (c.tagName !== "TD") { return; }
    if (shut) { c.setAttribute("hidden", "until-found"); } else { c.removeAttribute("hidden"); }
  });
}
function fitClaims() {
  claimHeads.forEach(function (d) {
    var summary = d.firstElementChild;
    if (wideClaims.matches) {
      d.open = true;
      summary.setAttribute("tabindex", "-1");
      summary.setAttribute("role", "generic");
    } else if (summary.hasAttribute("role")) {  // a screen turned narrow: a phone's list again
      summary.removeAttribute("tabindex");
      summary.removeAttribute("role");
      d.open = false;
    }
    cellsFollow(d);
  });
}
claimHeads.forEach(function (d) {
  d.firstElementChild.addEventListener("click", function (ev) {
    if (wideClaims.matches) { ev.preventDefault(); }
  });
  d.addEventListener("toggle", function () { cellsFollow(d); });
  // Captured: the find's beforematch reaches the row whether it bubbles or not.
  d.closest("tr").addEventListener("beforematch", function () { d.open = true; }, true);
});
fitClaims();
if (wideClaims.addEventListener) { wideClaims.addEventListener("change", fitClaims); }
