// The view: the filters (rows and columns of the matrix), folded versions, the count line, and
// the permalink (the address's #view?... read back on load and on every change of it).
function state() {
  var s = new URLSearchParams();
  ["b", "cat", "os", "m", "color"].forEach(function (k) { if (F[k].value) { s.set(k, F[k].value); } });
  if (F.find.checked) { s.set("find", "1"); }
  if (F.q.value) { s.set("q", F.q.value); }
  if (F.collapse.checked) { s.set("collapse", "1"); }
  if (F.fold.checked) { s.set("fold", "1"); }
  var off = envBoxes.filter(function (b) { return !b.checked; }).map(function (b) { return b.value; });
  if (off.length) { s.set("hide", off.join(",")); }
  if (current) { s.set("cell", current); }
  return s;
}

// Version ranges (caniuse-style): adjacent versions of one series (OS × implementation ×
// free-threading × Intel macOS) whose every cell behaves the same (data-same, computed when
// the page was built) fold into the first one, labelled "3.9–3.13". Computed once.
// away: env id -> true for the folded-away columns; label: a group's range, on its first
// column; group: env id -> its group's first column.
var folded = null;
function foldGroups() {
  if (folded) { return folded; }
  folded = { away: {}, label: {}, group: {} };
  var head = null;
  var last = null;
  envHeads.forEach(function (th) {
    var id = th.getAttribute("data-env");
    if (head && last.getAttribute("data-series") === th.getAttribute("data-series") &&
        th.getAttribute("data-same") === "1") {
      folded.away[id] = true;
      folded.label[head.getAttribute("data-env")] = head.getAttribute("data-label") + "–" + th.getAttribute("data-label");
    } else {
      head = th;
    }
    folded.group[id] = head.getAttribute("data-env");
    last = th;
  });
  return folded;
}

// An Answers line's view (a Behaviour option with data-order: answers.view_orders) lists its
// cases as its examples are chosen, those that show it in the most CPython environments first:
// in catalog order a case only PyPy shows came first, its CPython cells all ok. They move into
// a tbody of their own, first; any other view puts every row back in the catalog's order.
var catalog = rows.slice();
var homes = catalog.map(function (tr) { return tr.parentNode; });
var ranked = null;  // that tbody, made on first use
var arranged = "";  // the order the rows are in ("": the catalog's)
function arrange() {
  var option = F.b.options[F.b.selectedIndex];
  var order = (option && option.getAttribute("data-order")) || "";
  if (order === arranged) { return order; }
  arranged = order;
  if (!current) { setActive(null); }  // the Tab stop: the first row shown, not where it was
  catalog.forEach(function (tr, i) { homes[i].appendChild(tr); });  // each back in its place
  rows = catalog.slice();
  if (!order) { return order; }
  if (!ranked) { ranked = table.insertBefore(document.createElement("tbody"), table.tBodies[0]); }
  var first = order.split(" ").map(function (id) { return $("row-" + id); }).filter(Boolean);
  first.forEach(function (tr) { ranked.appendChild(tr); });
  rows = first.concat(catalog.filter(function (tr) { return first.indexOf(tr) < 0; }));
  return order;
}

// Changes only what differs: rewriting the same style or colspan would re-lay out the matrix.
function apply(write) {
  var byCPython = arrange();
  var fold = F.fold.checked ? foldGroups() : { away: {}, label: {}, group: {} };
  // Every word typed must match the start of a word ("hang" is not in "changed"); a term that
  // starts with punctuation (".default", "_fork") matches anywhere.
  var terms = F.q.value.trim().toLowerCase().split(/\s+/).filter(Boolean).map(function (t) {
    var text = t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(/^[a-z0-9]/.test(t) ? "(^|[^a-z0-9])" + text : text);
  });
  var rules = [];
  var visibleEnvs = {};
  var hiddenEnvs = {};
  var hidden = {};
  envBoxes.forEach(function (b) { if (!b.checked) { hidden[b.value] = 1; } });
  envHeads.forEach(function (th) {
    var id = th.getAttribute("data-env");
    // Newest only keeps a series' newest column, folded or not: a fold keeps a group's first
    // column, so with both the newest stands for its group, labelled with the group's range.
    var newest = th.getAttribute("data-newest") === "1";
    var ok = (!F.os.value || th.getAttribute("data-os") === F.os.value) && !hidden[id] &&
      (F.collapse.checked ? newest : !fold.away[id]);
    var label = F.collapse.checked ? fold.label[fold.group[id]] : fold.label[id];
    put(th.firstChild, "textContent", label || th.getAttribute("data-label"));
    if (!ok) { hiddenEnvs[id] = 1; rules.push("#matrix thead [data-env=" + attr(id) + "]{display:none}"); } else { visibleEnvs[id] = th; }
  });
  if (F.os.value) { rules.push("#matrix .gap:not([data-os=" + attr(F.os.value) + "]){display:none}"); }
  var methods = all("th.meth", table).reduce(function (acc, th) { acc[th.getAttribute("data-m")] = 1; return acc; }, {});
  var nMethods = Object.keys(methods).length;
  if (F.m.value) {
    Object.keys(methods).forEach(function (m) {
      if (m !== F.m.value) { rules.push("#matrix th.meth[data-m=" + attr(m) + "]{display:none}"); }
    });
    nMethods = 1;
  }
  var away = colCells(function (env) { return hiddenEnvs[env]; }, 1);
  methodNames.forEach(function (m) {
    if (!F.m.value || m === F.m.value) { return; }
    away = away.concat(colCells(function (env, mm) { return mm === m && !hiddenEnvs[env]; }, methodNames.length));
  });
  if (away.length) { rules.push(away.join(",") + "{display:none}"); }
  put(dyn, "textContent", rules.join("\n"));
  document.body.classList.toggle("by-docs", F.color.value === "docs");
  document.body.classList.toggle("find", F.find.checked);
  shown = { envs: visibleEnvs, method: F.m.value };
  Object.keys(visibleEnvs).forEach(function (i) { put(visibleEnvs[i], "colSpan", nMethods); });
  all("th.osg", table).forEach(function (th) {
    var os = th.getAttribute("data-os");
    var n = envHeads.filter(function (e) {
      return e.getAttribute("data-os") === os && visibleEnvs[e.getAttribute("data-env")];
    }).length;
    var gap = table.querySelector("thead th.gap[data-os=" + attr(os) + "]") ? 1 : 0;
    var show = (!F.os.value || F.os.value === os) && n + gap > 0;
    put(th, "hidden", !show);
    if (show) { put(th, "colSpan", n * nMethods + gap); }
  });
  var count = 0;
  rows.forEach(function (el) {
    var ok = (!F.cat.value || el.getAttribute("data-cat") === F.cat.value) &&
      (!F.find.checked || el.getAttribute("data-f") === "1") &&
      (!F.b.value || (" " + el.getAttribute("data-b") + " ").indexOf(" " + F.b.value + " ") >= 0) &&
      terms.every(function (t) { return t.test(searchWords(el)); });
    put(el, "hidden", !ok);
    if (ok) { count += 1; }
    var others = (followers[anchorOf(el)] || []).concat(printRows[el.id.slice(4)] || []);
    others.forEach(function (other) { put(other, "hidden", !ok); });
  });
  // Printed, the parts follow the row filters and the OS filter (a part is one OS's columns).
  all(".ppart").forEach(function (part) { put(part, "hidden", !!F.os.value && part.getAttribute("data-os") !== F.os.value); });
  all(".pmatrix tbody").forEach(function (tb) {
    put(tb, "hidden", all("th.rh", tb).every(function (th) { return th.parentNode.hidden; }));
  });
  all("tbody.cat", table).forEach(function (tb) {
    put(tb, "hidden", all("tr.case-row", tb).every(function (r) { return r.hidden; }));
  });
  var withData = Object.keys(visibleEnvs).filter(function (i) {
    return visibleEnvs[i].getAttribute("data-nodata") !== "1";  // a CI leg without results
  }).length;
  // The count names the filters that chose the rows: an Answers line lands here.
  var why = ["b", "cat", "os", "m"].filter(function (k) { return F[k].value; }).map(function (k) {
    return F[k].options[F[k].selectedIndex].textContent;
  }).concat(F.find.checked ? ["only findings"] : [], terms.length ? ["“" + F.q.value.trim() + "”"] : []);
  $("f-count").textContent = count + " of " + rows.length + " cases shown" +
    (why.length ? " (" + why.join(", ") + (byCPython ? "; most CPython environments first" : "") + ")" : "") +
    (withData ? "" : " — no environment shown has data (see the columns' reasons)");
  keepTabStop();
  if (write) {
    var s = state().toString();
    history.replaceState(null, "", s ? "#view?" + s : location.pathname + location.search);
  }
}

function restore() {
  var h = location.hash;
  if (h.indexOf("#view?") !== 0) { return; }
  var s = new URLSearchParams(h.slice(6));
  ["b", "cat", "os", "m", "color"].forEach(function (k) { F[k].value = s.get(k) || ""; });
  F.find.checked = s.get("find") === "1";
  F.q.value = s.get("q") || "";
  F.collapse.checked = s.get("collapse") === "1";
  F.fold.checked = s.get("fold") === "1";
  var hide = (s.get("hide") || "").split(",");
  envBoxes.forEach(function (b) { b.checked = hide.indexOf(b.value) < 0; });
  // A view that names no cell (an Answers line) drops the selection: the panel stayed open on
  // a cell the view may not show, saying the address held a permalink to it.
  var cell = s.get("cell");
  var named = cell && findCell(cell) ? cell : null;
  if (!named) { unselect(); }
  apply(false);
  if (named) { showCell(named, true, false); }
  else { toMatrix(); }
}

// The filtered matrix: its section, or, where the legend and the filters fill the screen (a
// phone), the line that counts the rows shown and the rows below it. Focus goes to that line
// (tabindex -1): left on the Answers link, the next Tab jumped back up to the answers.
function toMatrix() {
  var count = $("f-count").parentNode;
  $("matrix-section").scrollIntoView();
  if (table.getBoundingClientRect().top > window.innerHeight * 0.4) { count.scrollIntoView(); }
  count.focus({ preventScroll: true });
  toChangedColumn();
}

// "Changed in Linux 3.14" (since-<series>-<version>): the matrix scrolled sideways to that
// column, the version before it on its left; a phone showed only the first versions.
function toChangedColumn() {
  var tag = F.b.value;
  if (tag.indexOf("since-") !== 0) { return; }
  var shownHeads = envHeads.filter(function (h) { return h.offsetParent !== null; });
  var at = shownHeads.map(function (h) {
    return "since-" + h.getAttribute("data-series") + "-" + h.getAttribute("data-label").replace(/^PyPy /, "");
  }).indexOf(tag);
  if (at < 0) { return; }
  var wrap = table.parentNode;
  var box = wrap.getBoundingClientRect();
  var left = box.left + table.querySelector("thead th").getBoundingClientRect().width;  // past the sticky case column
  var col = shownHeads[at].getBoundingClientRect();
  var from = at > 0 ? shownHeads[at - 1].getBoundingClientRect().left : col.left;
  // the version before on the left edge if both fit, else the changed one alone
  wrap.scrollLeft += (col.right - from <= box.right - left ? from : col.left) - left;
}

Object.keys(F).forEach(function (k) {
  F[k].addEventListener(k === "q" ? "input" : "change", function () { apply(true); });
});
envBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
// Without the script these links go to a plain anchor (the case row, the environment, the
// matrix); with it, to the filtered view (a permalink).
all("a[data-view]").forEach(function (a) { a.setAttribute("href", "#" + a.getAttribute("data-view")); });
// On a phone the filters start folded: open, they and the legend filled the first screen of
// the matrix (the count line above the table names the filters in force).
if (window.matchMedia("(max-width: 700px)").matches) { $("filters").open = false; }
