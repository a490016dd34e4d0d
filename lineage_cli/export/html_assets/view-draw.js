// The lineage view, part 2 of 3: drawing on the canvas, culling, pan/zoom and hit tests.

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
