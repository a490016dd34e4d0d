// The lineage view: reads the JSON data block, lays the graph out in layers (left to right),
// draws it on one canvas (d3-zoom pans and zooms), and answers clicks, keys and window.lineageView.
// Every id, label and metadata value is data: it reaches the page only through textContent,
// canvas fillText or an attribute of a link whose URL parsed as http(s).
(function () {
  "use strict";
  const STATUS_COLOR = { fresh: "#2e9d57", stale: "#d99000", failed: "#d64545", in_progress: "#3b7dd8", unknown: "#8a94a3" };
  const STATUS_GLYPH = { fresh: "✓", stale: "⚠", failed: "✕", in_progress: "◔", unknown: "?" };
  const W = 200, H = 34, GAP_X = 64, GAP_Y = 12;
  const WHOLE_LIMIT = 2000; // up to this many artifacts the page opens on the whole graph
  const SWEEPS = 4;
  const HL_NONE = 0, HL_SEL = 1, HL_UP = 2, HL_DOWN = 3, HL_PATH = 4, HL_CHAIN = 5;
  const HL_COLOR = [null, "#111827", "#7c3aed", "#0891b2", "#db2777", "#d99000"];

  let resolveReady, rejectReady;
  const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
  const api = { ready, timings: {} };
  window.lineageView = api;
  const $ = (id) => document.getElementById(id);

  // ---- data -------------------------------------------------------------------------------
  async function loadData() {
    const el = $("lineage-data");
    let text = el.textContent;
    if (el.dataset.encoding === "gzip-base64") {
      const bin = atob(text);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      text = await new Response(stream).text();
    }
    return JSON.parse(text);
  }

  let D, N, E, ids, index, src, dst, statuses, groupTables;
  let present, ePresent, status, version; // at the current time
  let outStart, outList, inStart, inList; // adjacency of the present edges, by neighbour index
  let timeIndex = -1; // -1: the exported graph; 0..builds-1: a build; -2: before the first build
  let compareIndex = null;
  let groupBy = "workflow", groupOf, groupNames, G, expanded;
  let units = [], unitOf, unitSrc, unitDst, px, py, unitLayer, layers = [];
  let hl, selected = -1, second = -1, upDepth = Infinity, downDepth = Infinity, upReach = 0, downReach = 0;
  let upSet = [], downSet = [], pathSet = [], chain = [];
  let hideOutside = false;
  const hiddenStatus = new Set();
  let transform = null, zoom = null, canvas, ctx, labelOf, haystack = null;

  function setup(data) {
    D = data; ids = D.ids; N = ids.length; E = D.et.length;
    index = new Map(); ids.forEach((id, n) => index.set(id, n));
    src = new Int32Array(E); dst = new Int32Array(E);
    for (let e = 0, t = 0; e < E; e++) { t += D.et[e]; dst[e] = t; src[e] = t - D.es[e]; } // gap-coded
    statuses = D.statuses;
    groupTables = { workflow: [D.wf, D.tables.wf], stage: [D.st, D.tables.st], agent: [D.ag, D.tables.ag] };
    const prefix = commonPrefix(ids);
    labelOf = (n) => { // node_label (a number: the id's last characters), else the id less the common prefix
      const l = D.label[n];
      if (typeof l === "string") return l;
      if (l > 0) return ids[n].slice(ids[n].length - l);
      return prefix ? "…" + ids[n].slice(prefix) : ids[n];
    };
    D.staleBy = new Map(D.stale.map((r) => [r.artifact, r]));
    hl = new Uint8Array(N);
    present = new Uint8Array(N); ePresent = new Uint8Array(E);
  }

  function commonPrefix(list) {
    if (list.length < 2) return 0;
    let a = list[0], b = list[list.length - 1], i = 0; // sorted: the first and last differ most
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    while (i > 0 && !"./:_-#".includes(a[i - 1])) i--; // cut at a separator
    return i > 3 ? i : 0;
  }

  // ---- time -------------------------------------------------------------------------------
  const builds = () => D.builds;
  function timeOf(position) { return position === -1 ? D.built_at : position >= 0 ? D.builds[position].t : null; }

  function stateAt(position) { // {present:Uint8Array, version:Array, status:Uint8Array, edges:Uint8Array}
    const p = new Uint8Array(N), ep = new Uint8Array(E), s = new Uint8Array(N), v = new Array(N);
    if (position === -1) {
      p.fill(1); for (const n of D.past_only) p[n] = 0;
      for (let e = 0; e < D.edges_now; e++) ep[e] = 1;
      for (let n = 0; n < N; n++) { s[n] = D.status[n]; v[n] = D.ver[n]; }
    } else if (position >= 0) {
      const b = D.builds[position];
      b.n.forEach((n, k) => { p[n] = 1; s[n] = b.s[k]; v[n] = b.v[k]; });
      for (const e of b.e) ep[e] = 1;
    }
    return { present: p, edges: ep, status: s, version: v };
  }

  function applyTime(position) {
    timeIndex = position;
    const st = stateAt(position);
    present = st.present; ePresent = st.edges; status = st.status; version = st.version;
    buildAdjacency();
    if (selected >= 0 && !present[selected]) selected = -1;
    if (second >= 0 && !present[second]) second = -1;
    computeHighlight();
    refreshLegend(); refreshTimeUi();
  }

  function buildAdjacency() {
    const outCount = new Int32Array(N + 1), inCount = new Int32Array(N + 1);
    for (let e = 0; e < E; e++) if (ePresent[e]) { outCount[src[e] + 1]++; inCount[dst[e] + 1]++; }
    for (let n = 0; n < N; n++) { outCount[n + 1] += outCount[n]; inCount[n + 1] += inCount[n]; }
    outStart = outCount; inStart = inCount;
    outList = new Int32Array(outStart[N]); inList = new Int32Array(inStart[N]);
    const o = outStart.slice(0, N), i = inStart.slice(0, N);
    for (let e = 0; e < E; e++) if (ePresent[e]) { outList[o[src[e]]++] = dst[e]; inList[i[dst[e]]++] = src[e]; }
    for (let n = 0; n < N; n++) { // neighbours in id order: deterministic keys and panels
      outList.subarray(outStart[n], outStart[n + 1]).sort();
      inList.subarray(inStart[n], inStart[n + 1]).sort();
    }
  }

  // ---- traversal (iterative, cycle-safe) ---------------------------------------------------
  const stamp = { marks: null, value: 0 };
  function walk(start, startArr, list, depth) { // ids reached from start (not start), and the max hop
    if (!stamp.marks) stamp.marks = new Uint32Array(N);
    const mark = ++stamp.value;
    stamp.marks[start] = mark;
    let frontier = [start], reached = [], hops = 0;
    while (frontier.length && hops < depth) {
      const next = [];
      for (const u of frontier) {
        for (let k = startArr[u]; k < startArr[u + 1]; k++) {
          const v = list[k];
          if (stamp.marks[v] !== mark) { stamp.marks[v] = mark; next.push(v); reached.push(v); }
        }
      }
      if (next.length) hops++;
      frontier = next;
    }
    return { reached: reached.sort((a, b) => a - b), hops };
  }
  const ancestorsOf = (n, d = Infinity) => walk(n, inStart, inList, d);
  const descendantsOf = (n, d = Infinity) => walk(n, outStart, outList, d);

  function pathsBetween(a, b) {
    for (const [from, to] of [[a, b], [b, a]]) {
      const down = descendantsOf(from).reached;
      const up = new Set(ancestorsOf(to).reached);
      if (!up.has(from)) continue;
      const on = down.filter((n) => up.has(n));
      return [...new Set([from, to, ...on])].sort((x, y) => x - y);
    }
    return [];
  }

  function computeHighlight() {
    hl.fill(HL_NONE); upSet = []; downSet = []; pathSet = [];
    if (chain.length) { for (const n of chain) hl[n] = HL_CHAIN; return; }
    if (selected < 0) return;
    if (second >= 0) {
      pathSet = pathsBetween(selected, second);
      for (const n of pathSet) hl[n] = HL_PATH;
      hl[selected] = HL_SEL; hl[second] = HL_SEL;
      return;
    }
    const up = ancestorsOf(selected, upDepth), down = descendantsOf(selected, downDepth);
    upSet = up.reached; downSet = down.reached;
    if (upDepth === Infinity) upReach = up.hops;
    if (downDepth === Infinity) downReach = down.hops;
    for (const n of upSet) hl[n] = HL_UP;
    for (const n of downSet) hl[n] = hl[n] === HL_UP ? HL_UP : HL_DOWN;
    hl[selected] = HL_SEL;
  }
  const highlighting = () => selected >= 0 || chain.length > 0;

  // ---- groups and units --------------------------------------------------------------------
  function setGroupBy(key, collapseAll) {
    groupBy = groupTables[key] ? key : "none";
    if (groupBy === "none") { groupOf = new Int32Array(N); groupNames = [""]; }
    else { groupOf = Int32Array.from(groupTables[groupBy][0], (g) => Math.max(g, 0)); groupNames = groupTables[groupBy][1].length ? groupTables[groupBy][1] : [""]; }
    G = groupNames.length;
    expanded = new Uint8Array(G).fill(collapseAll && groupBy !== "none" ? 0 : 1);
    $("group-by").value = groupBy;
  }

  function rebuildUnits() {
    unitOf = new Int32Array(N);
    const seen = new Uint8Array(G);
    units = [];
    for (let n = 0; n < N; n++) {
      const g = groupOf[n];
      if (expanded[g]) { unitOf[n] = n; units.push(n); }
      else { unitOf[n] = N + g; if (!seen[g]) { seen[g] = 1; units.push(N + g); } }
    }
    const keys = new Set(), us = [], vs = [];
    for (let e = 0; e < E; e++) {
      const u = unitOf[src[e]], v = unitOf[dst[e]];
      if (u === v) continue;
      const key = u * (N + G) + v;
      if (keys.has(key)) continue;
      keys.add(key); us.push(u); vs.push(v);
    }
    unitSrc = Int32Array.from(us); unitDst = Int32Array.from(vs);
    layout();
  }

  function members(g) { const out = []; for (let n = 0; n < N; n++) if (groupOf[n] === g) out.push(n); return out; }

  // Longest-path layers, then barycentre sweeps; positions are for every unit of every build,
  // so moving through time never moves an artifact.
  function layout() {
    const M = units.length, local = new Map();
    units.forEach((u, k) => local.set(u, k));
    const order = units.map((u, k) => k).sort((a, b) => (groupKey(units[a]) - groupKey(units[b])) || (a - b));
    const rank = new Int32Array(M); order.forEach((k, r) => { rank[k] = r; });
    const outs = Array.from({ length: M }, () => []), ins = Array.from({ length: M }, () => []);
    for (let e = 0; e < unitSrc.length; e++) { const a = local.get(unitSrc[e]), b = local.get(unitDst[e]); outs[a].push(b); ins[b].push(a); }
    const indeg = ins.map((l) => l.length), layer = new Int32Array(M), done = new Uint8Array(M);
    const queue = []; let head = 0, processed = 0, scan = 0;
    for (const k of order) if (!indeg[k]) queue.push(k);
    while (processed < M) {
      if (head === queue.length) { // a cycle: release the next unplaced unit
        while (done[order[scan]] || indeg[order[scan]] < 0) scan++;
        indeg[order[scan]] = 0; queue.push(order[scan]);
      }
      const k = queue[head++];
      if (done[k]) continue;
      done[k] = 1; processed++; indeg[k] = -1;
      for (const v of outs[k]) {
        if (done[v]) continue;
        if (layer[v] < layer[k] + 1) layer[v] = layer[k] + 1;
        if (--indeg[v] === 0) queue.push(v);
      }
    }
    let L = 0; for (let k = 0; k < M; k++) if (layer[k] + 1 > L) L = layer[k] + 1;
    const byLayer = Array.from({ length: L }, () => []);
    for (const k of order) byLayer[layer[k]].push(k);
    const pos = new Float64Array(M);
    const place = (list) => { list.forEach((k, i) => { pos[k] = i - list.length / 2; }); };
    byLayer.forEach(place);
    const bary = new Float64Array(M);
    for (let sweep = 0; sweep < SWEEPS; sweep++) {
      const down = sweep % 2 === 0;
      const seq = down ? byLayer : byLayer.slice().reverse();
      for (const list of seq) {
        for (const k of list) {
          const nb = down ? ins[k] : outs[k];
          if (!nb.length) { bary[k] = pos[k]; continue; }
          let sum = 0; for (const v of nb) sum += pos[v];
          bary[k] = sum / nb.length;
        }
        list.sort((a, b) => (bary[a] - bary[b]) || (rank[a] - rank[b]));
        place(list);
      }
    }
    px = new Float64Array(N + G); py = new Float64Array(N + G); unitLayer = new Int32Array(N + G);
    layers = byLayer.map((list, l) => {
      const sorted = list.map((k) => units[k]);
      for (const u of sorted) { px[u] = l * (W + GAP_X); py[u] = pos[local.get(u)] * (H + GAP_Y); unitLayer[u] = l; }
      return sorted; // by y, for culling and hit tests by binary search
    });
  }
  function groupKey(u) { return u >= N ? u - N : groupOf[u]; }

  // What each unit looks like now: visible, its highlight, its status counts (groups).
  let groupStats = null;
  function refreshGroupStats() {
    groupStats = Array.from({ length: G }, () => ({ count: 0, byStatus: new Int32Array(statuses.length), hl: 0, shown: 0 }));
    for (let n = 0; n < N; n++) {
      if (!present[n]) continue;
      const s = groupStats[groupOf[n]];
      s.count++; s.byStatus[status[n]]++;
      if (!hiddenStatus.has(statuses[status[n]])) s.shown++;
      if (hl[n] && (!s.hl || hl[n] === HL_SEL)) s.hl = hl[n];
    }
  }
  function unitHl(u) { return u < N ? hl[u] : groupStats[u - N].hl; }
  function unitVisible(u) {
    if (u < N) {
      if (!present[u] || hiddenStatus.has(statuses[status[u]])) return false;
    } else if (!groupStats[u - N].shown) return false;
    return !(hideOutside && highlighting() && !unitHl(u));
  }
  function compareMark(n) { // 1 added, 2 removed, 3 changed (as `lineage diff` says)
    if (!compareState) return 0;
    const was = compareState.present[n], is = present[n];
    if (is && !was) return 1;
    if (was && !is) return 2;
    if (is && was && compareState.version[n] !== version[n]) return 3;
    return 0;
  }
  let compareState = null;

  // ---- drawing -----------------------------------------------------------------------------
  let drawQueued = false;
  function scheduleDraw() { if (!drawQueued) { drawQueued = true; requestAnimationFrame(() => { drawQueued = false; draw(); }); } }

  function resize() {
    const dpr = window.devicePixelRatio || 1, r = canvas.getBoundingClientRect();
    canvas.width = Math.max(1, Math.round(r.width * dpr)); canvas.height = Math.max(1, Math.round(r.height * dpr));
  }

  function viewBox() {
    const r = canvas.getBoundingClientRect(), t = transform;
    return { x0: -t.x / t.k, y0: -t.y / t.k, x1: (r.width - t.x) / t.k, y1: (r.height - t.y) / t.k };
  }

  function unitsInView(vb) {
    const out = [];
    const l0 = Math.max(0, Math.floor((vb.x0 - W) / (W + GAP_X))), l1 = Math.min(layers.length - 1, Math.ceil(vb.x1 / (W + GAP_X)));
    for (let l = l0; l <= l1; l++) {
      const list = layers[l];
      let lo = 0, hi = list.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (py[list[mid]] + H < vb.y0) lo = mid + 1; else hi = mid; }
      for (let i = lo; i < list.length && py[list[i]] <= vb.y1; i++) out.push(list[i]);
    }
    return out;
  }

  function edgeStyle(e) { // 0 hidden, 1 normal, 2 dimmed, 3 highlighted
    const u = unitSrc[e], v = unitDst[e];
    if (!unitVisible(u) || !unitVisible(v)) return 0;
    if (!unitEdgePresent[e]) return 0;
    if (!highlighting()) return 1;
    const a = unitHl(u), b = unitHl(v);
    if (a && b && edgeOnHighlight(u, v, a, b)) return 3;
    return 2;
  }
  function edgeOnHighlight(u, v, a, b) {
    if (chain.length || second >= 0) return true;
    if (a === HL_UP || b === HL_DOWN) return a !== HL_DOWN && b !== HL_UP;
    return a === HL_SEL || b === HL_SEL;
  }
  let unitEdgePresent = null;
  function refreshUnitEdges() { // a unit edge is drawn when one of its artifact edges exists now
    const key = new Map();
    unitSrc.forEach((u, k) => key.set(u * (N + G) + unitDst[k], k));
    unitEdgePresent = new Uint8Array(unitSrc.length);
    for (let e = 0; e < E; e++) {
      if (!ePresent[e]) continue;
      const k = key.get(unitOf[src[e]] * (N + G) + unitOf[dst[e]]);
      if (k !== undefined) unitEdgePresent[k] = 1;
    }
  }

  function draw(target) {
    const c = target || ctx, dpr = window.devicePixelRatio || 1, t = transform;
    refreshGroupStats();
    const r = canvas.getBoundingClientRect();
    if (!target) { c.setTransform(1, 0, 0, 1, 0, 0); c.clearRect(0, 0, canvas.width, canvas.height); c.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y); }
    const vb = viewBox(), inView = unitsInView(vb);
    const curves = inView.length < 4000;
    // edges, batched by style
    const paths = [[], [], [], []];
    for (let e = 0; e < unitSrc.length; e++) {
      const u = unitSrc[e], v = unitDst[e];
      const x1 = px[u] + W, y1 = py[u] + H / 2, x2 = px[v], y2 = py[v] + H / 2;
      if (Math.max(x1, x2) < vb.x0 || Math.min(x1, x2) > vb.x1 || Math.max(y1, y2) < vb.y0 || Math.min(y1, y2) > vb.y1) continue;
      const style = edgeStyle(e);
      if (style) paths[style].push(e);
    }
    const styles = [null, ["#9aa4b2", 1, 1], ["#9aa4b2", 1, 0.18], ["#374151", 2, 1]];
    for (let s = 1; s <= 3; s++) {
      if (!paths[s].length) continue;
      c.beginPath();
      for (const e of paths[s]) edgePath(c, e, curves);
      c.strokeStyle = styles[s][0]; c.lineWidth = styles[s][1] / Math.min(1, t.k * 2); c.globalAlpha = styles[s][2];
      c.stroke();
    }
    c.globalAlpha = 1;
    const showText = t.k * 11 >= 8;
    c.textBaseline = "middle";
    for (const u of inView) if (unitVisible(u)) drawUnit(c, u, showText);
    if (compareState) for (const u of inView) if (u < N && !present[u] && compareState.present[u] && unitShownAsGhost(u)) drawGhost(c, u);
    c.globalAlpha = 1;
    refreshStatusLine();
  }
  function unitShownAsGhost(u) { return unitOf[u] === u; }

  function edgePath(c, e, curves) {
    const u = unitSrc[e], v = unitDst[e];
    const x1 = px[u] + W, y1 = py[u] + H / 2, x2 = px[v], y2 = py[v] + H / 2;
    c.moveTo(x1, y1);
    if (curves && x2 > x1) { const m = (x1 + x2) / 2; c.bezierCurveTo(m, y1, m, y2, x2, y2); }
    else c.lineTo(x2, y2);
  }

  function drawUnit(c, u, showText) {
    const x = px[u], y = py[u], h = unitHl(u), dim = highlighting() && !h;
    c.globalAlpha = dim ? 0.22 : 1;
    if (u < N) {
      const name = statuses[status[u]];
      c.fillStyle = "#ffffff"; c.fillRect(x, y, W, H);
      c.fillStyle = STATUS_COLOR[name]; c.fillRect(x, y, 22, H);
      const mark = compareMark(u);
      c.lineWidth = h ? 3 : mark ? 3 : 1;
      c.strokeStyle = mark === 1 ? "#16a34a" : mark === 3 ? "#ea580c" : h ? HL_COLOR[h] : "#b8c0cc";
      c.strokeRect(x, y, W, H);
      if (showText) {
        c.fillStyle = "#ffffff"; c.font = "bold 13px system-ui, sans-serif"; c.textAlign = "center";
        c.fillText(STATUS_GLYPH[name], x + 11, y + H / 2);
        c.fillStyle = "#1d2430"; c.font = "12px system-ui, sans-serif"; c.textAlign = "left";
        c.fillText(fitWidth(c, labelOf(u), W - 34), x + 28, y + H / 2 - (mark ? 6 : 0));
        if (mark) { c.fillStyle = mark === 1 ? "#16a34a" : "#ea580c"; c.font = "10px system-ui, sans-serif"; c.fillText(mark === 1 ? "+ added" : "Δ changed", x + 28, y + H / 2 + 9); }
      }
    } else {
      const g = u - N, s = groupStats[g];
      c.fillStyle = "#eef2f7"; c.fillRect(x, y, W, H);
      c.lineWidth = h ? 3 : 1.5; c.strokeStyle = h ? HL_COLOR[h] : "#64748b"; c.strokeRect(x, y, W, H);
      let bx = x;
      for (let k = 0; k < statuses.length; k++) { // the status-mix bar
        const w = s.count ? (W * s.byStatus[k]) / s.count : 0;
        c.fillStyle = STATUS_COLOR[statuses[k]]; c.fillRect(bx, y + H - 6, w, 6); bx += w;
      }
      if (showText) {
        c.fillStyle = "#1d2430"; c.font = "bold 12px system-ui, sans-serif"; c.textAlign = "left";
        c.fillText("▸ " + fit(groupNames[g] || "(none)", 20) + " · " + s.count, x + 6, y + H / 2 - 3);
      }
    }
  }
  function drawGhost(c, u) {
    c.globalAlpha = 0.8; c.setLineDash([5, 4]); c.lineWidth = 2; c.strokeStyle = "#dc2626";
    c.strokeRect(px[u], py[u], W, H); c.setLineDash([]);
    c.fillStyle = "#dc2626"; c.font = "12px system-ui, sans-serif"; c.textAlign = "left";
    c.fillText("− " + fit(labelOf(u), 28), px[u] + 8, py[u] + H / 2);
  }
  function fit(text, max) { return text.length > max ? "…" + text.slice(text.length - max + 1) : text; }
  const fitted = new Map(); // label -> the label cut from the left to fit a box, in the 12px font
  function fitWidth(c, text, width) {
    let out = fitted.get(text);
    if (out !== undefined) return out;
    out = text;
    if (c.measureText(text).width > width) {
      let lo = 1, hi = text.length; // the longest tail that fits after "…"
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (c.measureText("…" + text.slice(text.length - mid)).width <= width) lo = mid; else hi = mid - 1; }
      out = "…" + text.slice(text.length - lo);
    }
    if (fitted.size > 50000) fitted.clear();
    fitted.set(text, out);
    return out;
  }

  // ---- view control ------------------------------------------------------------------------
  function setTransform(k, x, y) { d3.select(canvas).call(zoom.transform, d3.zoomIdentity.translate(x, y).scale(k)); }
  function fitView() {
    refreshGroupStats();
    const shown = units.filter(unitVisible);
    const r = canvas.getBoundingClientRect();
    if (!shown.length) { setTransform(1, 20, r.height / 2); return; }
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const u of shown) { x0 = Math.min(x0, px[u]); y0 = Math.min(y0, py[u]); x1 = Math.max(x1, px[u] + W); y1 = Math.max(y1, py[u] + H); }
    const k = Math.min(1.5, (r.width - 40) / (x1 - x0), (r.height - 40) / (y1 - y0));
    setTransform(k, (r.width - (x1 - x0) * k) / 2 - x0 * k, (r.height - (y1 - y0) * k) / 2 - y0 * k);
  }
  // The first view: the whole graph when it fits readably, else its left end (the sources),
  // readable, vertically centred on what is there: a 100,000-artifact overview fitted whole
  // is a strip of dots.
  function openingView() {
    fitView();
    if (transform.k >= 0.45) return;
    refreshGroupStats();
    const r = canvas.getBoundingClientRect(), k = 0.8;
    const span = Math.ceil(r.width / k / (W + GAP_X));
    let y0 = Infinity, y1 = -Infinity;
    for (let l = 0; l < Math.min(span, layers.length); l++) {
      for (const u of layers[l]) if (unitVisible(u)) { y0 = Math.min(y0, py[u]); y1 = Math.max(y1, py[u] + H); }
    }
    if (y0 === Infinity) return;
    const top = (y1 - y0) * k < r.height - 40 ? (r.height - (y1 - y0) * k) / 2 - y0 * k : 20 - y0 * k;
    setTransform(k, 20, top);
  }
  function centreOn(u) {
    const r = canvas.getBoundingClientRect(), k = Math.max(transform.k, 0.8);
    setTransform(k, r.width / 2 - (px[u] + W / 2) * k, r.height / 2 - (py[u] + H / 2) * k);
  }
  function screenOf(u) {
    const r = canvas.getBoundingClientRect(), t = transform;
    return { x: r.left + t.x + (px[u] + W / 2) * t.k, y: r.top + t.y + (py[u] + H / 2) * t.k };
  }

  function hitUnit(mx, my) {
    const t = transform, x = (mx - t.x) / t.k, y = (my - t.y) / t.k;
    for (const u of unitsInView({ x0: x, y0: y, x1: x, y1: y })) {
      if (x >= px[u] && x <= px[u] + W && y >= py[u] && y <= py[u] + H && unitVisible(u)) return u;
    }
    return -1;
  }
  function hitEdge(mx, my) {
    const t = transform, x = (mx - t.x) / t.k, y = (my - t.y) / t.k, tol = 5 / t.k;
    let best = -1, bestD = tol;
    for (let e = 0; e < unitSrc.length; e++) {
      const u = unitSrc[e], v = unitDst[e];
      const x1 = px[u] + W, y1 = py[u] + H / 2, x2 = px[v], y2 = py[v] + H / 2;
      if (x < Math.min(x1, x2) - tol || x > Math.max(x1, x2) + tol || y < Math.min(y1, y2) - tol || y > Math.max(y1, y2) + tol) continue;
      if (!edgeStyle(e)) continue;
      let ax = x1, ay = y1;
      for (let i = 1; i <= 12; i++) { // the drawn curve, as 12 segments
        const s = i / 12, m = (x1 + x2) / 2;
        const bx = x2 > x1 ? cubic(x1, m, m, x2, s) : x1 + (x2 - x1) * s, by = x2 > x1 ? cubic(y1, y1, y2, y2, s) : y1 + (y2 - y1) * s;
        const d = segDist(x, y, ax, ay, bx, by);
        if (d < bestD) { bestD = d; best = e; }
        ax = bx; ay = by;
      }
    }
    return best;
  }
  function cubic(a, b, c, d, s) { const r = 1 - s; return r * r * r * a + 3 * r * r * s * b + 3 * r * s * s * c + s * s * s * d; }
  function segDist(x, y, ax, ay, bx, by) {
    const dx = bx - ax, dy = by - ay, l = dx * dx + dy * dy;
    const s = l ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l)) : 0;
    return Math.hypot(x - ax - s * dx, y - ay - s * dy);
  }

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
})();
