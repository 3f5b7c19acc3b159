"use strict";
// Filters, column chooser, permalinks, cell details and keyboard movement in the matrix for the
// Start-Method Matrix page. Reads only the page itself; writes text with textContent (never
// innerHTML: the one markup it parses is the page's own, kept in <noscript>, see build). On load
// it reads no layout and touches no matrix cell but one (the Tab stop): the matrix may not be
// laid out yet (content-visibility), and forcing it would cost the load time.
(function () {
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
  var dyn = $("dyn-style");
  var panel = $("detail");
  var data = null;  // the cells' structured details (the JSON block), parsed on first use
  var current = null;  // the selected cell ("case~env~method"), kept in the permalink
  var active = null;  // the matrix's single Tab stop: a cell or a case link
  var described = null;  // the cell whose aria-describedby points at the details
  var shown = { envs: {}, method: "" };  // the columns the last apply() left visible

  function put(el, prop, value) { if (el[prop] !== value) { el[prop] = value; } }
  function attr(value) { return '"' + CSS.escape(value) + '"'; }

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

  // Changes only what differs: rewriting the same style or colspan would re-lay out the matrix.
  function apply(write) {
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
      (why.length ? " (" + why.join(", ") + ")" : "") +
      (withData ? "" : " — no environment shown has data (see the columns' reasons)");
    keepTabStop();
    if (write) {
      var s = state().toString();
      history.replaceState(null, "", s ? "#view?" + s : location.pathname + location.search);
    }
  }

  // ---- cells: identity, visibility under the filters (no layout read), the Tab stop
  function colOf(td) { return td.tagName === "TD" && td.parentNode.classList.contains("case-row") ? cols[td.cellIndex] || null : null; }
  function cellKey(td) {
    var c = colOf(td);
    return c ? td.parentNode.id.slice(4) + "~" + c[0] + "~" + c[1] : null;
  }
  // A matrix cell as the docs say carries no data-verdict (11,000 of CI's 12,636 cells).
  function verdictOf(td, words) { var v = td.getAttribute("data-verdict"); return v === null ? words.AS_EXPECTED : v; }
  function isCell(el) { return Boolean(colOf(el)) || (el.tagName === "TH" && el.classList.contains("rh")); }
  function visible(cell) {
    var row = cell.parentNode;
    if (row.hidden || row.parentNode.hidden) { return false; }
    if (cell.tagName !== "TD") { return true; }
    var c = colOf(cell);
    return Boolean(c && shown.envs[c[0]]) && (!shown.method || shown.method === c[1]);
  }
  function focusable(cell) { return cell.tagName === "TD" ? cell : cell.querySelector("a"); }
  function cellOf(el) { return el.tagName === "A" ? el.parentNode : el; }
  function setActive(el) {
    if (active === el) { return; }
    if (active) { active.setAttribute("tabindex", "-1"); }
    if (el) { el.setAttribute("tabindex", "0"); }
    active = el;
  }
  function step(cell, dRow, dCol) {
    var row = cell.parentNode;
    var i;
    if (dCol) {
      for (i = cell.cellIndex + dCol; i >= 0 && i < row.cells.length; i += dCol) {
        if (visible(row.cells[i])) { return row.cells[i]; }
      }
      return null;
    }
    for (i = rows.indexOf(row) + dRow; i >= 0 && i < rows.length; i += dRow) {
      if (visible(rows[i].cells[0])) { return rows[i].cells[cell.cellIndex]; }
    }
    return null;
  }
  function farthest(cell, dRow, dCol) {
    var next = step(cell, dRow, dCol);
    while (next) { cell = next; next = step(cell, dRow, dCol); }
    return cell;
  }
  function keepTabStop() {
    if (active && visible(cellOf(active))) { return; }
    var first = null;
    for (var r = 0; r < rows.length && !first; r += 1) {
      if (visible(rows[r].cells[0])) { first = step(rows[r].cells[0], 0, 1) || rows[r].cells[0]; }
    }
    setActive(first ? focusable(first) : null);
  }

  // ---- the details panel, built from the JSON block (the focused cell's, or the selected one's)
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function pretty(value) { return JSON.stringify(value, null, 2); }
  // Observed beside expected, one top-level key per line; keys whose values differ are marked.
  function valueBlock(label, value, other) {
    var box = el("div", null, "val");
    box.appendChild(el("strong", label));
    var pre = el("pre");
    if (value && typeof value === "object" && !Array.isArray(value) && other && typeof other === "object" && !Array.isArray(other)) {
      pre.appendChild(el("span", "{\n"));
      Object.keys(value).sort().forEach(function (k) {
        var same = JSON.stringify(value[k]) === JSON.stringify(other[k]);
        pre.appendChild(el("span", "  " + JSON.stringify(k) + ": " + pretty(value[k]).replace(/\n/g, "\n  ") + "\n", same ? "" : "diff"));
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
      body.appendChild(el("p", outcome === words.NOT_APPLICABLE ? "Not part of this case (the case does not run under this method)." : "Not run: no data for this cell in this report."));
      return;
    }
    var b = caseData.b[entry[0]];
    var wall = entry[1];
    var line = {};
    line[words.OK] = "ok: the case returned a value";
    line[words.UNAVAILABLE] = "unavailable: " + (b.detail || "the method does not exist here");
    if (outcome === words.TIMEOUT) { line[words.TIMEOUT] = "hung — killed after " + (wall === null ? "the hard timeout" : wall.toFixed(1) + " s") + (b.detail ? " (" + b.detail + ")" : ""); }
    if (outcome === words.CRASH) { line[words.CRASH] = "crash: " + (b.detail || "the case's process died without a result"); }
    if (outcome === words.ERROR) { line[words.ERROR] = "error: " + ((b.error && b.error.type) || "?") + ": " + ((b.error && b.error.message) || ""); }
    body.appendChild(el("p", line[outcome] || outcome, "outcome"));
    var verdict = verdictOf(td, words);
    var exp = b.x === undefined ? null : caseData.e[b.x];  // said once per case (cellview.panel_data)
    var inferred = !!(exp && (exp.inferred || exp.from_implementation));
    var said = verdict ? words[verdict + (inferred ? "~inferred" : "")] || words[verdict] : outcome === words.UNAVAILABLE ? words[""] : "";
    body.appendChild(el("p", said || "", "verdict v-" + verdict));
    if (b.measured) { body.appendChild(el("p", "measured: " + b.measured)); }
    var vals = el("div", null, "vals");
    if (outcome === words.OK) { vals.appendChild(valueBlock("observed", b.observed, exp && "value" in exp ? exp.value : undefined)); }
    if (exp) {
      var shownExp = {};
      Object.keys(exp).forEach(function (k) { if (["source", "methods", "when"].indexOf(k) < 0) { shownExp[k] = exp[k]; } });
      vals.appendChild(valueBlock(words["expected" + (inferred ? "~inferred" : "")], "value" in exp ? exp.value : shownExp, outcome === words.OK && "value" in exp ? b.observed : undefined));
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
  function describe(td) {
    var key = cellKey(td);
    if (!key) { return; }
    var p = key.split("~");
    var row = td.parentNode;
    $("detail-title").textContent = row.querySelector("th.rh .ct").textContent + " · " + p[1] + " · " + p[2];
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
  // phone), the line that counts the rows shown and the rows below it.
  function toMatrix() {
    $("matrix-section").scrollIntoView();
    if (table.getBoundingClientRect().top > window.innerHeight * 0.4) { $("f-count").parentNode.scrollIntoView(); }
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

  // With the script the matrix is a grid: one Tab stop, arrow keys inside (WAI-ARIA grid).
  table.setAttribute("role", "grid");
  all("th.rh a").forEach(function (a) { a.setAttribute("tabindex", "-1"); });
  table.addEventListener("click", function (ev) {
    var td = ev.target.closest ? ev.target.closest("td") : null;
    var key = td ? cellKey(td) : null;
    if (!key) { return; }
    showCell(key, false, true);
    apply(true);
  });
  // A press (a mouse or a finger: a tap fires mousedown too) focuses a cell before its click:
  // the panel opened then covered the cell, so a tap low on a phone's screen never reached it
  // and selected nothing. A press leaves the details to its click (which selects the cell).
  var pressed = false;
  var closing = false;  // focus going back to a cell as its panel closes: it stays closed
  table.addEventListener("mousedown", function () {
    pressed = true;
    setTimeout(function () { pressed = false; }, 0);  // the focus comes in this same task
  });
  table.addEventListener("focusin", function (ev) {
    var cell = cellOf(ev.target);
    if (!isCell(cell)) { return; }
    setActive(ev.target);
    if (cell.tagName === "TD" && !pressed && !closing) { describe(cell); keepInSight(cell); }
  });
  table.addEventListener("focusout", afterFocusLeaves);
  panel.addEventListener("focusout", afterFocusLeaves);
  table.addEventListener("keydown", function (ev) {
    var cell = cellOf(ev.target);
    if (!isCell(cell)) { return; }
    var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    var next = null;
    if (moves[ev.key]) {
      next = step(cell, moves[ev.key][0], moves[ev.key][1]);
    } else if (ev.key === "Home" || ev.key === "End") {
      var d = ev.key === "Home" ? -1 : 1;
      next = ev.ctrlKey ? farthest(cell, d, 0) : farthest(cell, 0, d);
    } else if ((ev.key === "Enter" || ev.key === " ") && cell.tagName === "TD") {
      showCell(cellKey(cell), false, false);
      apply(true);
    } else if (ev.key === "Escape") {
      closeDetail();
    } else {
      return;
    }
    ev.preventDefault();
    if (next) { setActive(focusable(next)); focusable(next).focus(); }
  });
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
  Object.keys(F).forEach(function (k) {
    F[k].addEventListener(k === "q" ? "input" : "change", function () { apply(true); });
  });
  envBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
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
  // Without the script these links go to a plain anchor (the case row, the environment, the
  // matrix); with it, to the filtered view (a permalink).
  all("a[data-view]").forEach(function (a) { a.setAttribute("href", "#" + a.getAttribute("data-view")); });
  // On a phone the filters start folded: open, they and the legend filled the first screen of
  // the matrix (the count line above the table names the filters in force).
  if (window.matchMedia("(max-width: 700px)").matches) { $("filters").open = false; }
  window.addEventListener("hashchange", restore);
  restore();
  if (location.hash.indexOf("#view?") !== 0) { apply(false); }
})();
