// The report page's script, its first part (render.py joins the parts, in its SCRIPT_PARTS order,
// into the page's one inline script, inside one function: they share its names). Filters, column
// chooser, permalinks, cell details and keyboard movement in the matrix; deferred content; the
// claims. Reads only the page itself; writes text with textContent (never innerHTML: the one
// markup it parses is the page's own, kept in <noscript>, see build). On load it reads no layout
// and touches no matrix cell but one (the Tab stop): the matrix may not be laid out yet
// (content-visibility), and forcing it would cost the load time.
// This part: the page's elements the other parts use, the matrix's columns, the rows' search
// words, and the state the parts share.
var $ = function (id) { return document.getElementById(id); };
var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
var table = $("matrix");
if (!table) { return; }
document.body.classList.add("js");
var F = { b: $("f-b"), cat: $("f-cat"), os: $("f-os"), m: $("f-m"), color: $("f-color"), find: $("f-find"), q: $("f-q"), collapse: $("f-collapse"), fold: $("f-fold") };
var envBoxes = all("input.f-env");
var envHeads = all("th.env");
// A case row's cells carry no names (CI's page has 12,000 of them): a cell's environment and
// method are its column's, read once from the header. cols[i] is [env, method, index among the
// row's data cells] for a row's i-th cell, null for the row heading and a no-data gap cell.
var cols = [null];
var methodNames = [];
all("th.meth", table).forEach(function (th) {
  if (methodNames.indexOf(th.getAttribute("data-m")) < 0) { methodNames.push(th.getAttribute("data-m")); }
});
all("th.osg", table).forEach(function (osg) {
  var os = osg.getAttribute("data-os");
  envHeads.forEach(function (th) {
    if (th.getAttribute("data-os") !== os) { return; }
    methodNames.forEach(function (m) { cols.push([th.getAttribute("data-env"), m, cols.filter(Boolean).length]); });
  });
  if (table.querySelector("thead th.gap[data-os=" + attr(os) + "]")) { cols.push(null); }
});
// Selectors of the case rows' cells in the columns that ``keep`` (env, method) picks, a run of
// columns ``step`` apart in one selector (an environment's methods, an OS's fork columns): one
// selector per column made a filter twice as slow to restyle CI's 12,636 cells.
function colCells(keep, step) {
  var runs = [];
  cols.forEach(function (c, i) {
    var last = runs[runs.length - 1];
    if (!c || !keep(c[0], c[1])) { return; }
    if (last && i + 1 === last[1] + step) { last[1] = i + 1; } else { runs.push([i + 1, i + 1]); }
  });
  return runs.map(function (r) {
    return "#matrix tr.case-row>td:nth-child(" + (r[0] === r[1] ? r[0] : (step === 1 ? "n" : step + "n") + "+" + r[0] + "):nth-child(-n+" + r[1]) + ")";
  });
}
var rows = all("tr.case-row");
// A case's finding and its section follow the case's row: they carry no filter data (two more
// copies of the rows' search words, on the 30 x 100 page 200 kB); followers[anchor] are they.
var followers = {};
var searchText = {};
function anchorOf(tr) { return tr.cells[0].querySelector("a").getAttribute("href").slice(1); }
all("section.case").forEach(function (s) { (followers[s.id] = followers[s.id] || []).push(s); });
all("div.finding").forEach(function (d) {
  var id = d.querySelector("a[href^='#']").getAttribute("href").slice(1);
  (followers[id] = followers[id] || []).push(d);
});
// What the search box searches: the row's id, title, values (data-s) and behaviour tags.
function searchWords(tr) {
  if (!(tr.id in searchText)) {
    var th = tr.cells[0];
    searchText[tr.id] = [th.querySelector(".cid").textContent, th.querySelector(".ct").textContent,
      tr.getAttribute("data-s"), tr.getAttribute("data-b")].join(" ").toLowerCase();
  }
  return searchText[tr.id];
}

var dyn = $("dyn-style");
var panel = $("detail");
var data = null;  // the cells' structured details (the JSON block), parsed on first use
var current = null;  // the selected cell ("case~env~method"), kept in the permalink
var active = null;  // the matrix's single Tab stop: a cell or a case link
var described = null;  // the cell whose aria-describedby points at the details
var shown = { envs: {}, method: "" };  // the columns the last apply() left visible

function put(el, prop, value) { if (el[prop] !== value) { el[prop] = value; } }
function attr(value) { return '"' + CSS.escape(value) + '"'; }
