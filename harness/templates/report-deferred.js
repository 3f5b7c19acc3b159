// Deferred content: markup kept as text in a <noscript> until it is needed (a chart near the
// screen, a chart's values when opened, the printed parts when printing starts), and a
// finding's "Why it matters" copied from its case's section when opened.
// The printed parts of a matrix too wide for paper (print-only tables): their rows, by case.
// They wait as markup in a <noscript> (text while the script runs: CI's 13,000 elements parsed
// for nothing until printing) and are built when printing starts; the template escaped their
// text, and the CSP would block any script or handler in them.
var printRows = {};
// Markup the page keeps as text in a <noscript> until it is needed, built in place.
function build(box) {
  if (!box || box.hasAttribute("data-built")) { return false; }
  var t = document.createElement("template");
  t.innerHTML = box.textContent;
  box.parentNode.insertBefore(t.content, box);
  box.setAttribute("data-built", "1");
  return true;
}
// A chart's values table, built when its <details> opens.
all("details.later").forEach(function (d) {
  d.addEventListener("toggle", function () { if (d.open) { build(d.querySelector("noscript")); } });
});
// A finding's "Why it matters": its case section's text, copied in when opened (without the
// script, a link to it).
all("details.why").forEach(function (d) {
  d.addEventListener("toggle", function () {
    if (!d.open || d.hasAttribute("data-built")) { return; }
    var section = $(d.lastChild.firstChild.getAttribute("href").slice(1));
    var doc = section ? section.querySelector("p.doc") : null;
    if (doc) { d.replaceChild(doc.cloneNode(true), d.lastChild); d.setAttribute("data-built", "1"); }
  });
});
// The charts, built near the screen (their boxes keep the charts' shape: nothing moves).
// Their figures are watched, not the boxes: a phone's figure fades its edge (a mask), and
// Chromium then never saw a box inside it off the screen as near.
var chartBoxes = all(".chartbox > noscript");
function buildCharts() { chartBoxes.forEach(build); }
if (window.IntersectionObserver) {
  var near = new IntersectionObserver(function (entries) {
    entries.forEach(function (en) {
      if (en.isIntersecting) { build(en.target.querySelector(".chartbox > noscript")); near.unobserve(en.target); }
    });
  }, { rootMargin: "1000px 0px" });
  chartBoxes.forEach(function (n) { near.observe(n.parentNode.parentNode); });
} else { buildCharts(); }
function printParts() {
  buildCharts();
  if (!build($("print-parts"))) { return; }
  all(".pmatrix th.rh").forEach(function (th) {
    var id = th.lastChild.textContent;  // the case id (its small.cid): a row names it once
    (printRows[id] = printRows[id] || []).push(th.parentNode);
  });
  apply(false);  // the parts follow the filters
}
window.addEventListener("beforeprint", printParts);
var printing = window.matchMedia("print");  // print media emulated (a PDF printer, a test)
if (printing.addEventListener) { printing.addEventListener("change", function (ev) { if (ev.matches) { printParts(); } }); }
