import { cellText, type Block, type Cell, type ReportDocument } from './document.js';
import { escapeHtml } from './escape.js';

/**
 * The HTML form of a report: one self-contained file (inline CSS, inline SVG charts, no script,
 * no font or stylesheet to fetch), so it opens offline and can be mailed or attached to a review.
 * Every piece of text is escaped here; only the SVG that vega rendered is embedded as markup.
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
td.bad { color: #b35c00; }
.table-scroll { overflow-x: auto; max-width: 100%; }
caption { caption-side: bottom; text-align: left; color: #666; font-size: 12px; padding-top: 4px; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 12px; }
.evidence { margin: 6px 0 10px; }
.evidence pre { background: #f7f7f7; border-left: 3px solid #d62728; padding: 6px 10px; margin: 4px 0; white-space: pre-wrap; font-size: 12px; }
`;

export function renderHtml(doc: ReportDocument): string {
  const body = doc.blocks.map(renderBlock).join('\n');
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
</body>
</html>
`;
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}${block.id ? ` id="${escapeHtml(block.id)}"` : ''}>${escapeHtml(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p${block.muted ? ' class="muted"' : ''}>${escapeHtml(block.text)}</p>`;
    case 'list':
      return `<ul>\n${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`;
    case 'evidence':
      return `<div class="evidence"><div>${escapeHtml(block.title)}</div>${block.lines.length > 0 ? `<pre>${block.lines.map(escapeHtml).join('\n')}</pre>` : ''}</div>`;
    case 'chart':
      // The SVG comes from vega, which escapes the text it draws; it is the only markup embedded as is.
      return `<figure class="chart" id="chart-${escapeHtml(block.chart.id)}">\n${block.chart.svg}\n${block.caption ? `<figcaption>${escapeHtml(block.caption)}</figcaption>` : ''}\n</figure>`;
    case 'table':
      return renderTable(block.headers, block.rows, block.caption, block.id);
  }
}

function renderTable(headers: string[], rows: Cell[][], caption: string | undefined, id: string | undefined): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map(renderCell).join('')}</tr>`).join('\n');
  // Wide tables (a comparison's summary has a column per count) scroll sideways instead of spilling out of the page.
  return `<div class="table-scroll"><table${id ? ` id="${escapeHtml(id)}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>${caption ? `\n<caption>${escapeHtml(caption)}</caption>` : ''}\n</table></div>`;
}

function renderCell(cell: Cell): string {
  const text = cellText(cell);
  const classes: string[] = [];
  if (/^-?[\d.,]+(us|ms|s|m|h)?$|^[\d.]+[–-][\d.]+/.test(text)) classes.push('num');
  if (typeof cell !== 'string' && cell.best) classes.push('best');
  if (typeof cell !== 'string' && cell.bad) classes.push('bad');
  return `<td${classes.length > 0 ? ` class="${classes.join(' ')}"` : ''}>${escapeHtml(text)}</td>`;
}
