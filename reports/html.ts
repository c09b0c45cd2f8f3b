import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cellText, type Block, type Cell, type ReportDocument } from './document.js';
import { escapeHtml } from './escape.js';

/**
 * The HTML form of a report: one self-contained file (inline CSS, inline SVG charts, no font,
 * stylesheet or script to fetch), so it opens offline and can be mailed or attached to a review.
 * Every piece of text is escaped here; only the SVG that vega rendered is embedded as markup.
 * An interactive document (the comparison) also inlines vega's runtime and each chart's compiled
 * spec: in a browser the static SVG is replaced by a live view of the same spec, whose `hover`
 * selection is shared by every chart (a readout at the same instant across them) and whose
 * `fullRange` parameter widens the shared time axis. Printed, or with scripts off, the static
 * SVG is what shows.
 */
const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto; max-width: 1400px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.subtitle { color: #555; margin: 0 0 12px; }
.muted { color: #666; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.num { text-align: right; }
td.best { background: #e3f4e1; font-weight: 600; }
td.best::after { content: " \\2605"; color: #2e7d32; }
.table-scroll { overflow-x: auto; max-width: 100%; }
p.lead { font-size: 19px; font-weight: 600; margin: 14px 0 8px; }
table[data-role="verdict"] { width: 100%; font-size: 15px; }
table[data-role="verdict"] td:last-child { min-width: 24em; }
@media screen and (min-width: 1000px) { table[data-role="verdict"] td:nth-child(2) { white-space: nowrap; } }
td.bad { color: #a31515; }
.range-toggle { margin: 6px 0; }
.range-toggle button { font: inherit; padding: 3px 10px; cursor: pointer; }
figure.chart { width: 100%; }
figure.chart svg { width: 100%; height: auto; }
@media print {
  @page { margin: 12mm; }
  :root { font-size: 10pt; }
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; margin-top: 16px; }
  h3 { break-after: avoid; }
  .table-scroll { overflow: visible; }
  table { width: 100%; font-size: 8pt; }
  table[data-role="verdict"] { font-size: 9pt; }
  table[data-role="verdict"] td:last-child { min-width: 0; }
  /* Cells may break anywhere so a table always fits the page; headers keep their words whole. */
  th, td { padding: 2px 4px; overflow-wrap: anywhere; }
  th { overflow-wrap: normal; hyphens: auto; }
  tr, figure.chart { break-inside: avoid; }
  .range-toggle { display: none; }
  .evidence pre { white-space: pre-wrap; overflow-wrap: anywhere; }
}
caption { caption-side: bottom; text-align: left; color: #666; font-size: 12px; padding-top: 4px; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 12px; }
.evidence { margin: 6px 0 10px; }
.evidence pre { background: #f7f7f7; border-left: 3px solid #d62728; padding: 6px 10px; margin: 4px 0; white-space: pre-wrap; font-size: 12px; }
`;

export function renderHtml(doc: ReportDocument): string {
  const interactive = doc.interactive === true;
  const body = doc.blocks.map((b) => renderBlock(b, interactive)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mqsim">
<title>${escapeHtml(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(doc.title)}</h1>
<p class="subtitle">${escapeHtml(doc.subtitle)}</p>
${body}
${interactive ? liveCharts() : ''}</body>
</html>
`;
}

function renderBlock(block: Block, interactive: boolean): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}${block.id ? ` id="${escapeHtml(block.id)}"` : ''}>${escapeHtml(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p${block.lead ? ' class="lead"' : block.muted ? ' class="muted"' : ''}>${escapeHtml(block.text)}</p>`;
    case 'range-toggle':
      return `<div class="range-toggle"><button type="button" data-role="full-range" data-clip="${block.clip}" data-full="${block.full}" hidden>Show the whole run (0–${escapeHtml(block.full)}s)</button></div>`;
    case 'list':
      return `<ul>\n${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`;
    case 'evidence':
      return `<div class="evidence"><div>${escapeHtml(block.title)}</div>${block.lines.length > 0 ? `<pre>${block.lines.map(escapeHtml).join('\n')}</pre>` : ''}</div>`;
    case 'chart':
      // The SVG comes from vega, which escapes the text it draws; it is the only markup embedded as is.
      return `<figure class="chart" id="chart-${escapeHtml(block.chart.id)}">\n<div class="chart-view">${block.chart.svg}</div>\n${interactive ? `<script type="application/json" class="vega-spec">${scriptJson(block.chart.vega)}</script>\n` : ''}${block.caption ? `<figcaption>${escapeHtml(block.caption)}</figcaption>` : ''}\n</figure>`;
    case 'table':
      return renderTable(block.headers, block.rows, block.caption, block.id, block.role);
  }
}

function renderTable(headers: string[], rows: Cell[][], caption: string | undefined, id: string | undefined, role: string | undefined): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map(renderCell).join('')}</tr>`).join('\n');
  // Wide tables (a comparison's summary has a column per count) scroll sideways instead of spilling out of the page.
  return `<div class="table-scroll"><table${id ? ` id="${escapeHtml(id)}"` : ''}${role ? ` data-role="${escapeHtml(role)}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>${caption ? `\n<caption>${escapeHtml(caption)}</caption>` : ''}\n</table></div>`;
}

function renderCell(cell: Cell): string {
  const text = cellText(cell);
  const classes: string[] = [];
  if (/^-?[\d.,]+(us|ms|s|m|h)?$|^[\d.]+[–-][\d.]+/.test(text)) classes.push('num');
  if (typeof cell !== 'string' && cell.best) classes.push('best');
  if (typeof cell !== 'string' && cell.bad) classes.push('bad');
  return `<td${classes.length > 0 ? ` class="${classes.join(' ')}"` : ''}>${escapeHtml(text)}</td>`;
}

/** JSON inside a <script> element: `<` escaped so no text in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

let vegaRuntime: string | undefined;

/** vega's browser build, read once from the installed package (the report must open offline). */
function vegaSource(): string {
  if (vegaRuntime === undefined) {
    const require = createRequire(import.meta.url);
    const main = require.resolve('vega');
    let dir = dirname(main);
    while (!dir.endsWith('vega') && dirname(dir) !== dir) dir = dirname(dir);
    vegaRuntime = readFileSync(join(dir, 'build', 'vega.min.js'), 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return vegaRuntime;
}

/**
 * The live charts: each figure's compiled spec becomes a vega view (SVG renderer) in place of
 * its static SVG. The views share one hover selection: when the pointer picks an instant in one
 * chart, its `hover_store` (the selected tuples) is copied into every other view, whose
 * readout layers then show their own values at that instant. The button flips `fullRange` in
 * every view. Errors leave the static SVG in place.
 */
function liveCharts(): string {
  const script = `
(function () {
  if (!window.vega) return;
  var views = [];
  window.mqsimCharts = views;
  var syncing = false;
  var figures = document.querySelectorAll('figure.chart');
  var pending = [];
  figures.forEach(function (figure) {
    var specNode = figure.querySelector('script.vega-spec');
    var holder = figure.querySelector('.chart-view');
    if (!specNode || !holder) return;
    try {
      var live = document.createElement('div');
      live.className = 'chart-view live';
      var view = new vega.View(vega.parse(JSON.parse(specNode.textContent)), { renderer: 'svg', container: live, hover: true });
      pending.push(view.runAsync().then(function () {
        holder.replaceWith(live);
        views.push(view);
        try {
          view.addDataListener('hover_store', function (_name, tuples) {
            if (syncing) return;
            syncing = true;
            var copies = views.filter(function (v) { return v !== view; }).map(function (other) {
              try { return other.data('hover_store', tuples.slice()).runAsync(); } catch (e) { return null; }
            });
            Promise.all(copies).then(function () { syncing = false; }, function () { syncing = false; });
          });
        } catch (e) { /* a chart with no hover selection (the percentiles) */ }
      }, function () { view.finalize(); }));
    } catch (e) { /* keep the static SVG */ }
  });
  var button = document.querySelector('[data-role="full-range"]');
  if (button) {
    var full = false;
    button.hidden = false;
    button.addEventListener('click', function () {
      full = !full;
      button.textContent = full ? 'Show the workload and the drain that matters (0–' + button.dataset.clip + 's)' : 'Show the whole run (0–' + button.dataset.full + 's)';
      views.forEach(function (v) { try { v.signal('fullRange', full).runAsync(); } catch (e) { /* no time axis */ } });
    });
  }
  Promise.all(pending).then(function () { document.body.setAttribute('data-charts', 'live'); });
})();`;
  return `<script id="vega-runtime">${vegaSource()}</script>\n<script>${script}</script>\n`;
}
