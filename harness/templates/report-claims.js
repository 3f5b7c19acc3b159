// The article's claims: each claim's row heading is a <details> (a phone taps a claim open, and
// so without the script). A wide screen shows each claim's evidence beside it (report.css): there
// the heading is opened and is no toggle, no Tab stop (18 stops that changed nothing) and not
// announced as one ("collapsed"), and a press on it closes nothing. (ARIA in HTML gives a summary
// no other role because it toggles; this one no longer does: a plain container's role.)
var wideClaims = window.matchMedia("(min-width: 701px)");  // report.css's wide screen (or paper)
var claimHeads = all("table.claims details.claim");
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
  });
}
claimHeads.forEach(function (d) {
  d.firstElementChild.addEventListener("click", function (ev) {
    if (wideClaims.matches) { ev.preventDefault(); }
  });
});
fitClaims();
if (wideClaims.addEventListener) { wideClaims.addEventListener("change", fitClaims); }
