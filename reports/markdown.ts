import { cellText, type Cell, type ReportDocument } from './document.js';
import { escapeMarkdown } from './escape.js';

/**
 * The Markdown form of a report: the same tables, and each chart as an SVG file written beside
 * the Markdown file and linked from it (`<base>-<chart>.svg`), for wikis and pull requests.
 */
export interface MarkdownReport {
  markdown: string;
  /** SVG files to write beside the Markdown file: name (no folder) and content. */
  files: { name: string; svg: string }[];
}

export function renderMarkdown(doc: ReportDocument, base: string): MarkdownReport {
  const files: { name: string; svg: string }[] = [];
  const parts: string[] = [`# ${escapeMarkdown(doc.title)}`, '', escapeMarkdown(doc.subtitle)];
  for (const block of doc.blocks) {
    parts.push('');
    switch (block.kind) {
      case 'heading':
        parts.push(`${'#'.repeat(block.level)} ${escapeMarkdown(block.text)}`);
        break;
      case 'paragraph':
        parts.push(block.lead ? `**${escapeMarkdown(block.text)}**` : block.muted ? `_${escapeMarkdown(block.text)}_` : escapeMarkdown(block.text));
        break;
      case 'range-toggle':
        // The charts here are static SVG files, drawn over the clipped time axis their captions state.
        parts.pop();
        break;
      case 'list':
        parts.push(...block.items.map((i) => `- ${escapeMarkdown(i)}`));
        break;
      case 'evidence':
        parts.push(`- ${escapeMarkdown(block.title)}`);
        if (block.lines.length > 0) parts.push('', '  ```', ...block.lines.map((l) => `  ${l.replace(/```/g, "'''")}`), '  ```');
        break;
      case 'chart': {
        const name = `${base}-${block.chart.id}.svg`;
        files.push({ name, svg: block.chart.svg });
        parts.push(`![${escapeMarkdown(block.chart.title)}](${encodeURI(name)})`);
        if (block.caption) parts.push('', `_${escapeMarkdown(block.caption)}_`);
        break;
      }
      case 'table':
        parts.push(markdownTable(block.headers, block.rows));
        if (block.caption) parts.push('', `_${escapeMarkdown(block.caption)}_`);
        break;
    }
  }
  return { markdown: parts.join('\n') + '\n', files };
}

function markdownTable(headers: string[], rows: Cell[][]): string {
  const cell = (c: Cell) => {
    const text = escapeMarkdown(cellText(c));
    return typeof c !== 'string' && c.best ? `**${text}** ★` : text;
  };
  const lines = [`| ${headers.map((h) => escapeMarkdown(h)).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}
