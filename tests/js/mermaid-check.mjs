// Parse Mermaid files with the real `mermaid` package (in Node, DOM from jsdom) and print,
// per file, one JSON line: {"file", "ok", "nodes", "edges", "subgraphs", "error", "labels",
// "links", "titles"}: labels maps node id -> label text as parsed, links lists
// [start, end, label], titles lists subgraph titles (entity codes are left as written).
// Counts come from the parsed flowchart database, not from the text, so a diagram that
// parses into the wrong shape (a label read as an id, a keyword as a subgraph end) is caught.
// Mermaid's default limits are enforced as a browser would: maxEdges by the parser itself,
// maxTextSize (checked by mermaid.render, not parse) here against the same config value.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["DOMParser", "Element", "HTMLElement", "Node", "navigator"]) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
  }
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
const maxTextSize = mermaid.mermaidAPI.getConfig().maxTextSize;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node mermaid-check.mjs FILE.mmd...");
  process.exit(2);
}
let failures = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const result = {
    file, ok: false, nodes: null, edges: null, subgraphs: null, error: null,
    labels: null, links: null, titles: null,
  };
  try {
    if (text.length > maxTextSize) {
      throw new Error(`text is ${text.length} characters, over mermaid's maxTextSize ${maxTextSize}`);
    }
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    const vertices = db.getVertices();
    const entries = vertices instanceof Map ? [...vertices.entries()] : Object.entries(vertices);
    const edges = db.getEdges();
    const subgraphs = db.getSubGraphs();
    result.nodes = entries.length;
    result.edges = edges.length;
    result.subgraphs = subgraphs.length;
    result.labels = Object.fromEntries(entries.map(([id, v]) => [id, v.text]));
    result.links = edges.map((e) => [e.start, e.end, e.text]);
    result.titles = subgraphs.map((s) => s.title);
    result.ok = true;
  } catch (err) {
    failures += 1;
    result.error = String(err && err.message ? err.message : err);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}
process.exitCode = failures ? 1 : 0;  // not process.exit(): it would cut piped stdout short
