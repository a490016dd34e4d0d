// The lineage view, part 3 of 3: actions, panel, legend, search, URL fragment, saving, events,
// window.lineageView, and start-up.

  // ---- actions -----------------------------------------------------------------------------
  function changed(redraw = true) { computeHighlight(); refreshDetails(); writeHash(); if (redraw) draw(); }

  function select(n, shift) {
    chain = [];
    if (n < 0) { selected = -1; second = -1; }
    else if (shift && selected >= 0 && n !== selected) second = n;
    else { selected = n; second = -1; }
    changed();
  }
  function reveal(n) {
    const g = groupOf[n];
    if (!expanded[g]) expandGroups([g], n);
    centreOn(n);
  }
  function expandGroups(list, anchor) {
    const before = list.length === 1 ? screenOf(N + list[0]) : null;
    for (const g of list) expanded[g] = 1;
    rebuildUnits(); refreshUnitEdges();
    if (before && anchor === undefined) { // keep the group's first artifact where the group was
      const first = members(list[0]).find((n) => present[n]);
      if (first !== undefined) {
        const r = canvas.getBoundingClientRect(), k = transform.k;
        setTransform(k, before.x - r.left - (px[first] + W / 2) * k, before.y - r.top - (py[first] + H / 2) * k);
      }
    }
    changed();
  }
  function collapseGroups(list) {
    const first = list.length === 1 ? members(list[0]).find((n) => present[n] && unitOf[n] === n) : undefined;
    const before = first === undefined ? null : screenOf(first);
    for (const g of list) expanded[g] = 0;
    rebuildUnits(); refreshUnitEdges();
    if (before) { // the group takes the place of its first artifact
      const r = canvas.getBoundingClientRect(), k = transform.k, u = N + list[0];
      setTransform(k, before.x - r.left - (px[u] + W / 2) * k, before.y - r.top - (py[u] + H / 2) * k);
    }
    changed();
  }

  function moveKey(key) {
    if (selected < 0) return;
    let next = -1;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const [start, list] = key === "ArrowLeft" ? [inStart, inList] : [outStart, outList];
      if (start[selected + 1] > start[selected]) next = list[start[selected]];
    } else {
      const u = unitOf[selected], list = layers[unitLayer[u]], i = list.indexOf(u), step = key === "ArrowUp" ? -1 : 1;
      for (let j = i + step; j >= 0 && j < list.length; j += step) if (list[j] < N && unitVisible(list[j])) { next = list[j]; break; }
    }
    if (next >= 0) { select(next, false); reveal(next); }
  }
  function stepDepth(which, delta) {
    const reach = which === "up" ? upReach : downReach;
    let d = which === "up" ? upDepth : downDepth;
    if (d === Infinity) d = delta < 0 ? Math.max(1, reach - 1) : Infinity;
    else { d += delta; if (d < 1) d = 1; if (delta > 0 && d >= reach) d = Infinity; }
    if (which === "up") upDepth = d; else downDepth = d;
    $(which + "-depth").textContent = d === Infinity ? "all" : String(d);
    changed();
  }
  function setDepth(up, down) {
    upDepth = up == null || up === "all" ? Infinity : Math.max(1, +up);
    downDepth = down == null || down === "all" ? Infinity : Math.max(1, +down);
    $("up-depth").textContent = upDepth === Infinity ? "all" : String(upDepth);
    $("down-depth").textContent = downDepth === Infinity ? "all" : String(downDepth);
  }

  function showChain(artifactId) {
    const reason = D.staleBy.get(artifactId);
    if (!reason) return;
    chain = reason.chain.filter((id) => index.has(id)).map((id) => index.get(id));
    for (const n of chain) if (!expanded[groupOf[n]]) expanded[groupOf[n]] = 2;
    if ([...expanded].includes(2)) { expanded = expanded.map((x) => (x ? 1 : 0)); rebuildUnits(); refreshUnitEdges(); }
    computeHighlight(); writeHash(); draw();
  }

  // ---- time UI -----------------------------------------------------------------------------
  function positionFor(iso) { // the last build at or before iso; -1 (exported) when at/after it
    const when = Date.parse(iso);
    if (Number.isNaN(when)) throw new Error("setTime: not a timestamp: " + iso);
    if (D.built_at && Date.parse(D.built_at) <= when) return -1;
    let found = -2;
    D.builds.forEach((b, k) => { if (Date.parse(b.t) <= when) found = k; });
    if (found === D.builds.length - 1 && !D.built_at) return -1;
    return found;
  }
  function sliderValueOf(position) { return position === -1 ? D.builds.length : position; }
  function refreshTimeUi() {
    if (!D.builds.length) return;
    $("time").hidden = false;
    const slider = $("time-slider");
    slider.max = String(D.builds.length); slider.value = String(sliderValueOf(timeIndex));
    $("time-label").textContent = timeIndex === -1 ? "exported graph (" + (D.built_at || "now") + ")" : timeIndex === -2 ? "before the first build" : D.builds[timeIndex].t;
    refreshDiff();
  }
  function setCompare(position) {
    compareIndex = position;
    compareState = position === null ? null : stateAt(position);
    $("compare").value = position === null ? "" : String(position);
    refreshDiff();
  }
  function diffNow() {
    const out = { added: [], removed: [], modified: [] };
    if (!compareState) return out;
    for (let n = 0; n < N; n++) {
      const m = compareMark(n);
      if (m) out[["", "added", "removed", "modified"][m]].push(ids[n]);
    }
    return out;
  }
  function refreshDiff() {
    const d = diffNow();
    $("diff-summary").textContent = compareState ? `+${d.added.length} added, −${d.removed.length} removed, Δ${d.modified.length} changed since ${timeOf(compareIndex) || "?"}` : "";
  }

  // ---- panel, legend, search ---------------------------------------------------------------
  function el(tag, text, cls) { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function idButton(n) {
    const b = el("button", ids[n]); b.title = ids[n];
    b.addEventListener("click", () => { select(n, false); reveal(n); });
    return b;
  }
  function httpUrl(value) {
    if (typeof value !== "string") return null;
    try { const u = new URL(value); return u.protocol === "http:" || u.protocol === "https:" ? u.href : null; } catch (_) { return null; }
  }
  function refreshDetails() {
    const box = $("details");
    box.replaceChildren();
    if (selected < 0) { box.append(el("p", "Click an artifact: its upstream and downstream light up. Shift-click another for every path between them. Keys: / search, ←→ upstream/downstream, ↑↓ siblings, + − depth, f fit, Esc clear.", "hint")); return; }
    const n = selected;
    if (second >= 0) {
      box.append(el("h2", "Paths between two artifacts"));
      const ul = el("ul"); for (const m of [selected, second]) { const li = el("li"); li.append(idButton(m)); ul.append(li); } box.append(ul);
      box.append(el("p", pathSet.length ? `${pathSet.length} artifacts lie on a path between them.` : "No path connects them."));
      return;
    }
    box.append(el("h2", labelOf(n)));
    const dl = el("dl");
    const row = (k, v) => { dl.append(el("dt", k)); const dd = el("dd"); if (v instanceof Node) dd.append(v); else dd.textContent = v == null ? "—" : String(v); dl.append(dd); };
    const tables = D.tables;
    row("id", ids[n]); row("status", STATUS_GLYPH[statuses[status[n]]] + " " + statuses[status[n]]); row("version", version[n]);
    row("agent", tables.ag[D.ag[n]]); row("workflow", tables.wf[D.wf[n]]); row("stage", tables.st[D.st[n]]);
    row("recorded", tables.ts[D.ts[n]]); row("tool", tables.tool[D.tool[n]]); row("environment", tables.env[D.env[n]]);
    row("transformation", tables.tf[D.tf[n]]);
    box.append(el("h3", "Provenance")); box.append(dl);
    const reason = D.staleBy.get(ids[n]);
    if (reason && statuses[status[n]] === "stale" && timeIndex === -1) {
      box.append(el("h3", "Why stale"));
      const div = el("div", null, "chain");
      div.append(el("div", `${reason.changed} changed (${reason.from_version ?? "none"} → ${reason.to_version}) at ${reason.changed_at}, after this was built at ${reason.built_at}:`));
      reason.chain.forEach((id, k) => { if (k) div.append(el("span", " → ")); const b = el("button", id); b.addEventListener("click", () => { if (index.has(id)) { select(index.get(id)); reveal(index.get(id)); } }); div.append(b); });
      const draw = el("button", "draw this chain in the graph"); draw.className = "draw-chain"; draw.addEventListener("click", () => showChain(ids[n]));
      div.append(el("br")); div.append(draw);
      box.append(div);
    }
    const meta = D.meta[n];
    if (meta && Object.keys(meta).length) {
      box.append(el("h3", "Metadata"));
      const md = el("dl");
      for (const key of Object.keys(meta).sort()) {
        md.append(el("dt", key));
        const dd = el("dd"), value = meta[key], url = httpUrl(value);
        if (url) { const a = el("a", value); a.href = url; a.rel = "noopener noreferrer"; a.target = "_blank"; dd.append(a); }
        else dd.textContent = typeof value === "string" ? value : JSON.stringify(value);
        md.append(dd);
      }
      box.append(md);
    }
    for (const [title, start, list, set, depth] of [["Inputs", inStart, inList, upSet, upDepth], ["Outputs", outStart, outList, downSet, downDepth]]) {
      const count = start[n + 1] - start[n];
      box.append(el("h3", `${title} (${count}) · ${set.length} ${title === "Inputs" ? "upstream" : "downstream"}${depth === Infinity ? "" : ` within ${depth} hop${depth === 1 ? "" : "s"}`}`));
      const ul = el("ul");
      for (let k = start[n]; k < start[n + 1] && k < start[n] + 200; k++) { const li = el("li"); li.append(idButton(list[k])); ul.append(li); }
      if (count > 200) ul.append(el("li", `… and ${count - 200} more`));
      box.append(ul);
    }
  }

  function refreshLegend() {
    const box = $("legend"), counts = new Int32Array(statuses.length);
    for (let n = 0; n < N; n++) if (present[n]) counts[status[n]]++;
    box.replaceChildren();
    statuses.forEach((name, k) => {
      const label = el("label"); label.title = "Show or hide " + name + " artifacts";
      const box2 = el("input"); box2.type = "checkbox"; box2.checked = !hiddenStatus.has(name); box2.dataset.status = name;
      box2.addEventListener("change", () => { if (box2.checked) hiddenStatus.delete(name); else hiddenStatus.add(name); writeHash(); draw(); });
      const sw = el("span", STATUS_GLYPH[name], "swatch"); sw.style.background = STATUS_COLOR[name];
      label.append(box2, sw, el("span", `${name} ${counts[k]}`));
      box.append(label);
    });
  }

  function refreshStatusLine() {
    let shown = 0; for (const u of units) if (u < N && unitVisible(u)) shown++;
    const groups = units.filter((u) => u >= N).length;
    let text = `${N.toLocaleString("en")} artifacts, ${E.toLocaleString("en")} edges · showing ${shown.toLocaleString("en")} artifacts` + (groups ? ` and ${groups} collapsed ${groupBy} groups` : "");
    if (selected >= 0) text += second >= 0 ? ` · ${pathSet.length} on paths` : ` · ${upSet.length} upstream, ${downSet.length} downstream`;
    $("status-line").textContent = text;
  }

  function searchFor(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    if (!haystack) {
      haystack = new Array(N);
      for (let n = 0; n < N; n++) haystack[n] = [ids[n], labelOf(n), D.tables.wf[D.wf[n]], D.tables.st[D.st[n]], D.meta[n] ? JSON.stringify(D.meta[n]) : ""].join("\n").toLowerCase();
    }
    const exact = [], rest = [];
    for (let n = 0; n < N; n++) {
      if (!present[n]) continue;
      const h = haystack[n];
      if (!h.includes(q)) continue;
      (ids[n].toLowerCase() === q ? exact : rest).push(n);
      if (rest.length >= 200) break;
    }
    return exact.concat(rest).slice(0, 100);
  }
  let results = [], active = 0;
  function showResults(list) {
    results = list; active = 0;
    const ul = $("results"); ul.replaceChildren();
    ul.hidden = !list.length && !$("search").value;
    if (!list.length && $("search").value) ul.append(el("li", "no match"));
    list.forEach((n, k) => {
      const li = el("li", labelOf(n)); li.title = ids[n];
      li.append(el("small", D.tables.wf[D.wf[n]]));
      if (k === 0) li.className = "active";
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); focusResult(k); });
      ul.append(li);
    });
  }
  function focusResult(k) {
    if (!results.length) return;
    const n = results[k]; $("results").hidden = true; $("search").blur();
    select(n, false); reveal(n);
  }

  // ---- URL fragment ------------------------------------------------------------------------
  let hashReady = false;
  function writeHash() {
    if (!hashReady) return;
    const p = new URLSearchParams();
    if (selected >= 0) p.set("sel", ids[selected]);
    if (second >= 0) p.set("sel2", ids[second]);
    if (upDepth !== Infinity) p.set("up", String(upDepth));
    if (downDepth !== Infinity) p.set("down", String(downDepth));
    if (timeIndex !== -1) p.set("t", timeIndex === -2 ? "before" : D.builds[timeIndex].t);
    if (compareIndex !== null) p.set("cmp", compareIndex === -1 ? "now" : D.builds[compareIndex].t);
    if (groupBy !== D.group) p.set("group", groupBy);
    if (groupBy !== "none" && N > WHOLE_LIMIT) for (let g = 0; g < G; g++) if (expanded[g]) p.append("open", groupNames[g]);
    if (hideOutside) p.set("hide", "1");
    for (const s of hiddenStatus) p.append("off", s);
    if (chain.length) p.set("chain", ids[chain[chain.length - 1]]);
    history.replaceState(null, "", "#" + p.toString());
  }
  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    if (p.get("group")) setGroupBy(p.get("group"), N > WHOLE_LIMIT);
    const open = new Set(p.getAll("open"));
    if (open.size) groupNames.forEach((name, g) => { if (open.has(name)) expanded[g] = 1; });
    setDepth(p.get("up"), p.get("down"));
    hideOutside = p.get("hide") === "1"; $("hide-outside").checked = hideOutside;
    for (const s of p.getAll("off")) hiddenStatus.add(s);
    const t = p.get("t");
    timeIndex = t === "before" ? -2 : t ? D.builds.findIndex((b) => b.t === t) : -1;
    const cmp = p.get("cmp");
    if (cmp) { const k = cmp === "now" ? -1 : D.builds.findIndex((b) => b.t === cmp); if (k >= -1) compareIndex = k; }
    return { sel: p.get("sel"), sel2: p.get("sel2"), chain: p.get("chain") };
  }

  // ---- saving ------------------------------------------------------------------------------
  function download(blob, name) {
    const a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = name;
    document.body.append(a); a.click(); a.remove(); setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
  function xml(text) { return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]); }
  function svgText() {
    refreshGroupStats();
    const r = canvas.getBoundingClientRect(), t = transform, vb = viewBox(), inView = unitsInView(vb).filter(unitVisible), set = new Set(inView);
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(r.width)}" height="${Math.round(r.height)}" font-family="system-ui, sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="#f7f8fa"/>`, `<g transform="translate(${t.x} ${t.y}) scale(${t.k})">`];
    for (let e = 0; e < unitSrc.length; e++) {
      const s = edgeStyle(e);
      if (!s || !(set.has(unitSrc[e]) || set.has(unitDst[e]))) continue;
      const u = unitSrc[e], v = unitDst[e], x1 = px[u] + W, y1 = py[u] + H / 2, x2 = px[v], y2 = py[v] + H / 2, m = (x1 + x2) / 2;
      out.push(`<path d="M${x1} ${y1}C${m} ${y1} ${m} ${y2} ${x2} ${y2}" fill="none" stroke="${s === 3 ? "#374151" : "#9aa4b2"}" stroke-opacity="${s === 2 ? 0.18 : 1}" stroke-width="${s === 3 ? 2 : 1}"/>`);
    }
    for (const u of inView) {
      const h = unitHl(u), op = highlighting() && !h ? 0.22 : 1;
      const title = u < N ? ids[u] : groupNames[u - N];
      const text = u < N ? STATUS_GLYPH[statuses[status[u]]] + " " + fit(labelOf(u), 29) : "▸ " + fit(groupNames[u - N] || "(none)", 20) + " · " + groupStats[u - N].count;
      const colour = u < N ? STATUS_COLOR[statuses[status[u]]] : "#64748b";
      out.push(`<g opacity="${op}"><title>${xml(title)}</title><rect x="${px[u]}" y="${py[u]}" width="${W}" height="${H}" fill="${u < N ? "#fff" : "#eef2f7"}" stroke="${h ? HL_COLOR[h] : "#b8c0cc"}" stroke-width="${h ? 3 : 1}"/><rect x="${px[u]}" y="${py[u]}" width="6" height="${H}" fill="${colour}"/><text x="${px[u] + 12}" y="${py[u] + H / 2 + 4}">${xml(text)}</text></g>`);
    }
    out.push("</g></svg>");
    return out.join("\n");
  }

  // ---- events ------------------------------------------------------------------------------
  const tooltip = () => $("tooltip");
  function bind() {
    canvas.addEventListener("click", (ev) => {
      const t0 = performance.now();
      const r = canvas.getBoundingClientRect(), u = hitUnit(ev.clientX - r.left, ev.clientY - r.top);
      if (u < 0) { if (!ev.shiftKey) select(-1); }
      else if (u >= N) expandGroups([u - N]);
      else select(u, ev.shiftKey);
      api.timings.lastClick = performance.now() - t0;
    });
    canvas.addEventListener("mousemove", (ev) => {
      const r = canvas.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top, tip = tooltip();
      const u = hitUnit(mx, my);
      let text = null;
      if (u >= N) text = `${groupBy} ${groupNames[u - N]}: ${groupStats[u - N].count} artifacts (click to expand)`;
      else if (u >= 0) text = ids[u] + (labelOf(u) !== ids[u] ? "\n" + labelOf(u) : "") + "\n" + statuses[status[u]];
      else if (unitSrc.length < 60000) {
        const e = hitEdge(mx, my);
        if (e >= 0) text = edgeText(e);
      }
      if (text === null) { tip.hidden = true; return; }
      tip.textContent = text; tip.hidden = false;
      tip.style.left = Math.min(mx + 14, r.width - 300) + "px"; tip.style.top = my + 14 + "px";
    });
    canvas.addEventListener("mouseleave", () => { tooltip().hidden = true; });
    window.addEventListener("resize", () => { resize(); draw(); });
    document.addEventListener("keydown", onKey);
    const search = $("search");
    let timer = 0;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => showResults(searchFor(search.value)), 60); });
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); clearTimeout(timer); if (!results.length || $("results").hidden) showResults(searchFor(search.value)); focusResult(active); }
      else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault(); if (!results.length) return;
        active = (active + (ev.key === "ArrowDown" ? 1 : results.length - 1)) % results.length;
        [...$("results").children].forEach((li, k) => { li.className = k === active ? "active" : ""; });
      } else if (ev.key === "Escape") { search.value = ""; showResults([]); search.blur(); }
      ev.stopPropagation();
    });
    search.addEventListener("blur", () => setTimeout(() => { $("results").hidden = true; }, 150));
    $("up-minus").addEventListener("click", () => stepDepth("up", -1));
    $("up-plus").addEventListener("click", () => stepDepth("up", 1));
    $("down-minus").addEventListener("click", () => stepDepth("down", -1));
    $("down-plus").addEventListener("click", () => stepDepth("down", 1));
    $("hide-outside").addEventListener("change", (ev) => { hideOutside = ev.target.checked; writeHash(); draw(); });
    $("group-by").addEventListener("change", (ev) => { setGroupBy(ev.target.value, N > WHOLE_LIMIT); rebuildUnits(); refreshUnitEdges(); changed(); fitView(); });
    $("expand-all").addEventListener("click", () => expandGroups([...Array(G).keys()], -1));
    $("collapse-all").addEventListener("click", () => { if (groupBy !== "none") { collapseGroups([...Array(G).keys()]); fitView(); } });
    $("fit").addEventListener("click", fitView);
    $("save-png").addEventListener("click", () => canvas.toBlob((b) => download(b, "lineage.png")));
    $("save-svg").addEventListener("click", () => download(new Blob([svgText()], { type: "image/svg+xml" }), "lineage.svg"));
    $("time-slider").addEventListener("input", (ev) => { const v = +ev.target.value; applyTime(v === D.builds.length ? -1 : v); changed(); });
    $("compare").addEventListener("change", (ev) => { setCompare(ev.target.value === "" ? null : +ev.target.value); writeHash(); draw(); });
  }
  function edgeText(e) {
    const u = unitSrc[e], v = unitDst[e];
    if (u >= N || v >= N) return "edges between groups";
    for (let k = 0; k < E; k++) if (src[k] === u && dst[k] === v) return `${D.tables.etype[D.etype[k]]}: ${D.tables.edesc[D.edesc[k]] || "(no description)"}\n${ids[u]} → ${ids[v]}`;
    return "";
  }
  function onKey(ev) {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (k === "/") { ev.preventDefault(); $("search").focus(); $("search").select(); }
    else if (k.startsWith("Arrow")) { ev.preventDefault(); moveKey(k); }
    else if (k === "+" || k === "=") { stepDepth("up", 1); stepDepth("down", 1); }
    else if (k === "-" || k === "_") { stepDepth("up", -1); stepDepth("down", -1); }
    else if (k === "f") fitView();
    else if (k === "g") { const order = ["workflow", "stage", "agent", "none"]; setGroupBy(order[(order.indexOf(groupBy) + 1) % 4], N > WHOLE_LIMIT); rebuildUnits(); refreshUnitEdges(); changed(); fitView(); }
    else if (k === "Escape") { chain = []; select(-1); $("results").hidden = true; }
  }

  // ---- the scripting interface -------------------------------------------------------------
  function need(id) { const n = index.get(id); if (n === undefined) throw new Error("unknown artifact id: " + JSON.stringify(id)); return n; }
  function groupIndex(name) { const g = groupNames.indexOf(name); if (g < 0) throw new Error("unknown group: " + JSON.stringify(name)); return g; }
  const idsOf = (list) => list.map((n) => ids[n]);
  Object.assign(api, {
    select(id, opts) { const n = id == null ? -1 : need(id); if (n >= 0 && !(opts && opts.reveal === false)) reveal(n); select(n, !!(opts && opts.shift)); return api.selection(); },
    selection() { return { selected: selected >= 0 ? ids[selected] : null, second: second >= 0 ? ids[second] : null, upstream: idsOf(upSet), downstream: idsOf(downSet), paths: idsOf(pathSet), chain: idsOf(chain) }; },
    paths(a, b) { return idsOf(pathsBetween(need(a), need(b))); },
    visibleIds() { refreshGroupStats(); return units.filter((u) => u < N && unitVisible(u)).sort((a, b) => a - b).map((n) => ids[n]); },
    highlightedIds() { refreshGroupStats(); const out = []; for (let n = 0; n < N; n++) if (hl[n]) out.push(ids[n]); return out; },
    groups() { refreshGroupStats(); return groupNames.map((name, g) => ({ name, count: groupStats[g].count, expanded: !!expanded[g] })); },
    groupBy(key) { setGroupBy(key, N > WHOLE_LIMIT); rebuildUnits(); refreshUnitEdges(); changed(); fitView(); },
    expand(name) { expandGroups([groupIndex(name)]); },
    collapse(name) { collapseGroups([groupIndex(name)]); },
    setDepth(up, down) { setDepth(up, down); changed(); },
    setTime(iso) { applyTime(iso == null ? -1 : positionFor(iso)); changed(); return timeOf(timeIndex); },
    times() { return D.builds.map((b) => b.t); },
    compare(iso) { setCompare(iso == null ? null : positionFor(iso)); writeHash(); draw(); return diffNow(); },
    diff: diffNow,
    staleReason(id) { return D.staleBy.get(id) || null; },
    showChain(id) { showChain(id); return idsOf(chain); },
    search(query) { $("search").value = query; const r = searchFor(query); showResults(r); return idsOf(r); },
    hideOutside(on) { hideOutside = !!on; $("hide-outside").checked = hideOutside; writeHash(); draw(); },
    filterStatus(name, shown) { if (shown) hiddenStatus.delete(name); else hiddenStatus.add(name); refreshLegend(); writeHash(); draw(); },
    screenPos(id) { const n = need(id), u = unitOf[n]; return unitVisible(u) ? screenOf(u) : null; },
    fit: fitView,
    svg: svgText,
    label: (id) => labelOf(need(id)),
  });

  async function main() {
    const data = await loadData();
    setup(data);
    canvas = $("canvas"); ctx = canvas.getContext("2d");
    resize();
    setGroupBy(D.group, N > WHOLE_LIMIT);
    const wanted = readHash();
    if (compareIndex !== null) setCompare(compareIndex);
    D.builds.forEach((b, k) => { const o = el("option", b.t); o.value = String(k); $("compare").append(o); });
    if (D.builds.length) { const o = el("option", "exported graph"); o.value = "-1"; $("compare").append(o); }
    if (compareIndex !== null) $("compare").value = String(compareIndex);
    applyTime(timeIndex >= -2 ? timeIndex : -1);
    rebuildUnits(); refreshUnitEdges();
    transform = d3.zoomIdentity;
    zoom = d3.zoom().scaleExtent([0.002, 8]).on("zoom", (ev) => { transform = ev.transform; scheduleDraw(); });
    d3.select(canvas).call(zoom).on("dblclick.zoom", null);
    bind();
    openingView();
    if (wanted.sel && index.has(wanted.sel)) { selected = index.get(wanted.sel); if (wanted.sel2 && index.has(wanted.sel2)) second = index.get(wanted.sel2); reveal(selected); }
    if (wanted.chain && index.has(wanted.chain)) showChain(wanted.chain);
    hashReady = true;
    changed();
    refreshTimeUi();
    await new Promise((r) => requestAnimationFrame(() => r()));
    api.timings.firstDraw = performance.now();
    resolveReady(api);
  }
  main().catch((err) => { $("status-line").textContent = "This page could not load its data: " + err.message; rejectReady(err); });
