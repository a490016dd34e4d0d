// The lineage view, part 1 of 3: constants, the data, time, traversal, groups and the layout.
// The three view-*.js files are fragments of one function, which html.py wraps and inlines in order:
// they share its scope. Every id, label and metadata value is data: it reaches the page only through
// textContent, canvas fillText or an attribute of a link whose URL parsed as http(s).

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
