// The details panel of the focused or the selected cell, built from the page's JSON block, and
// the links that open it (a finding's "show", a claim's evidence).
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) { e.textContent = text; }
  if (cls) { e.className = cls; }
  return e;
}
function pretty(value) { return JSON.stringify(value, null, 2); }
function isObject(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
// Observed beside expected, one top-level key per line; keys whose values differ are marked;
// a key the case gives words for (names: its labels, cellview.panel_data) says them after it.
function valueBlock(label, value, other, names) {
  var box = el("div", null, "val");
  box.appendChild(el("strong", label));
  var pre = el("pre");
  if (isObject(value) && (isObject(other) || (names && other === undefined))) {
    pre.appendChild(el("span", "{\n"));
    Object.keys(value).sort().forEach(function (k) {
      var same = other === undefined || JSON.stringify(value[k]) === JSON.stringify(other[k]);
      var said = names && names[k] ? "  — " + names[k] : "";
      pre.appendChild(el("span", "  " + JSON.stringify(k) + ": " + pretty(value[k]).replace(/\n/g, "\n  ") + said + "\n", same ? "" : "diff"));
    });
    pre.appendChild(el("span", "}"));
  } else {
    pre.appendChild(el("span", pretty(value), other !== undefined && JSON.stringify(value) !== JSON.stringify(other) ? "diff" : ""));
  }
  box.appendChild(pre);
  return box;
}
function safeHref(url) { return typeof url === "string" && /^https?:\/\/[^\s"'<>]+$/i.test(url) ? url : null; }
function explain(td, body) {
  if (!data) { data = JSON.parse($("cell-data").textContent); }
  var caseData = data[td.parentNode.id.slice(4)];
  var words = data["~words"];  // cellview.PANEL_WORDS: the wording and the vocabulary live in Python, once
  var entry = caseData ? caseData.c[colOf(td)[2]] : null;
  if (typeof entry === "number") { entry = [entry, null, []]; }  // most cells: the index alone
  var outcome = td.getAttribute("data-outcome") || words.OK;  // a cell that returned says none
  if (!entry) {
    var why = /^not run \((.+)\)$/.exec(td.title || "");  // the merge's reason (notrun.reason), else none recorded
    body.appendChild(el("p", outcome === words.NOT_APPLICABLE ? "Not part of this case (the case does not run under this method)." : "Not run: " + (why ? why[1] : "no data for this cell in this report") + "."));
    return;
  }
  var b = caseData.b[entry[0]];
  var wall = entry[1];
  var line = {};
  line[words.OK] = b.broke ? words["ok~broke"] : "ok: the case returned a value";  // picks.broken
  line[words.UNAVAILABLE] = "unavailable: " + (b.detail || "the method does not exist here");
  if (outcome === words.TIMEOUT) { line[words.TIMEOUT] = "hung — killed after " + (wall === null ? "the hard timeout" : wall.toFixed(1) + " s") + (b.detail ? " (" + b.detail + ")" : ""); }
  if (outcome === words.CRASH) { line[words.CRASH] = "crash: " + (b.detail || "the case's process died without a result"); }
  // b.said: a child that died without a result, in words (cellview.error_words), its message after
  if (outcome === words.ERROR) { line[words.ERROR] = "error: " + (b.said ? b.said + " — " : ((b.error && b.error.type) || "?") + ": ") + ((b.error && b.error.message) || ""); }
  body.appendChild(el("p", line[outcome] || outcome, "outcome"));
  var verdict = verdictOf(td, words);
  var exp = b.x === undefined ? null : caseData.e[b.x];  // said once per case (cellview.panel_data)
  var inferred = !!(exp && (exp.inferred || exp.from_implementation));
  var said = verdict ? words[verdict + (inferred ? "~inferred" : "")] || words[verdict] : outcome === words.UNAVAILABLE ? words[""] : "";
  body.appendChild(el("p", said || "", "verdict v-" + verdict));
  if (b.changed) { body.appendChild(el("p", b.changed, "changed")); }  // cellview.code_changed_line
  if (b.measured) { body.appendChild(el("p", "measured: " + b.measured)); }
  var vals = el("div", null, "vals");
  if (outcome === words.OK) { vals.appendChild(valueBlock("observed", b.observed, exp && "value" in exp ? exp.value : undefined, caseData.l)); }
  if (exp) {
    var shownExp = {};
    Object.keys(exp).forEach(function (k) { if (["source", "methods", "when"].indexOf(k) < 0) { shownExp[k] = exp[k]; } });
    vals.appendChild(valueBlock(words["expected" + (inferred ? "~inferred" : "")], "value" in exp ? exp.value : shownExp, outcome === words.OK && "value" in exp ? b.observed : undefined, "value" in exp ? caseData.l : undefined));
    if (!("value" in exp)) { vals.lastChild.querySelector("span").className = ""; }
  }
  body.appendChild(vals);
  entry[2].forEach(function (w) { body.appendChild(el("p", "⚠ " + w.category + ": " + w.message, "warn")); });
  if (b.runs) { b.runs.forEach(function (r) { body.appendChild(el("p", "run " + r.file + ": " + r.outcome + " " + JSON.stringify(r.outcome === words.OK ? r.observed : r.error))); }); }
  var same = caseData.c.filter(function (c) { return c !== null && (typeof c === "number" ? c : c[0]) === entry[0]; }).length - 1;
  var foot = el("p", same > 0 ? "Same behaviour in " + same + " other cell" + (same === 1 ? "" : "s") + " of this case. " : "No other cell of this case behaved so. ");
  var src = safeHref(exp && exp.source) || safeHref(caseData.s[0]);
  if (src) { var a = el("a", words["source" + (inferred || !exp ? "~inferred" : "")]); a.href = src; foot.appendChild(a); }
  body.appendChild(foot);
}
// The fixed panel covers the screen's lower part: a cell shown there is scrolled above it
// (the page first, then the matrix's own box for what the page could not scroll).
function keepInSight(td) {
  var over = function () { return td.getBoundingClientRect().bottom - panel.getBoundingClientRect().top + 4; };
  if (panel.hidden || over() <= 0) { return; }
  window.scrollBy(0, over());
  if (over() > 0) { table.parentNode.scrollTop += over(); }
}
// The page's name of an environment ("Linux 3.8", "Linux PyPy 3.9"), from its column's heading:
// its id ("linux-cpython-3.8") is no word of the page.
function envName(id) {
  var th = table.querySelector("th.env[data-env=" + attr(id) + "]");
  var os = th && table.querySelector("th.osg[data-os=" + attr(th.getAttribute("data-os")) + "] .osn");
  return th ? (os ? os.textContent + " " : "") + th.getAttribute("data-label") : id;
}
function describe(td) {
  var key = cellKey(td);
  if (!key) { return; }
  var p = key.split("~");
  var row = td.parentNode;
  $("detail-title").textContent = row.querySelector("th.rh .ct").textContent + " · " + envName(p[1]) + " · " + p[2];
  var body = $("detail-body");
  body.textContent = "";
  explain(td, body);
  $("detail-case").setAttribute("href", "#case-" + p[0]);
  $("detail-hint").textContent = key === current ? "the address bar now holds a permalink to this cell"
    : "Enter selects this cell: a permalink to it in the address bar";
  if (described && described !== td) { described.removeAttribute("aria-describedby"); }
  td.setAttribute("aria-describedby", "detail-body");
  described = td;
  panel.hidden = false;
}
function findCell(key) {
  var p = key.split("~");
  var row = $("row-" + p[0]);
  if (!row) { return null; }
  var i = cols.findIndex(function (c) { return c && c[0] === p[1] && c[1] === p[2]; });
  return i > 0 ? row.cells[i] : null;
}
function showCell(key, scroll, focus) {
  var td = findCell(key);
  if (!td) { return; }
  all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
  td.classList.add("sel");
  current = key;
  setActive(td);
  describe(td);
  if (scroll) { td.scrollIntoView({ block: "center", inline: "center" }); }
  if (focus) { td.focus({ preventScroll: scroll }); }
  keepInSight(td);
}
function unselect() {
  panel.hidden = true;
  current = null;
  all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
}
function closeDetail() {
  unselect();
  apply(true);
}
function afterFocusLeaves(ev) {
  var to = ev.relatedTarget;
  if (to && (table.contains(to) || panel.contains(to))) { return; }
  var td = current ? findCell(current) : null;
  if (td) { describe(td); } else { panel.hidden = true; }
}
$("detail-close").addEventListener("click", closeDetail);
// Escape inside the panel closes it too, and focus goes back to the cell it described.
panel.addEventListener("keydown", function (ev) {
  if (ev.key !== "Escape") { return; }
  var td = described;
  ev.preventDefault();
  closeDetail();
  if (td && visible(td)) {
    setActive(td);
    closing = true;
    td.focus();
    closing = false;
  }
});
// A link to a matrix cell: a finding's names it (data-cell); a claim's evidence link is in
// its environment's column and says its method last (see the template).
function linkedCell(a) {
  if (a.hasAttribute("data-cell")) { return a.getAttribute("data-cell"); }
  var td = a.closest("td");
  var head = td.closest("table").tHead.rows[0].cells[td.cellIndex];
  return [a.getAttribute("href").slice(5), head.title, a.textContent.split(" ").pop()].join("~");
}
all("a.cell-link, table.claims td a").forEach(function (a) {
  var key = linkedCell(a);
  a.setAttribute("href", "#view?cell=" + key);
  a.addEventListener("click", function (ev) {
    ev.preventDefault();
    showCell(key, true, true);
    apply(true);
  });
});
