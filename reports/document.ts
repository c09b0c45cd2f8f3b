import type { RenderedChart } from './charts.js';

/**
 * A report as plain blocks (headings, paragraphs, tables, charts, lists), built once from a run
 * or a comparison and rendered by html.ts and markdown.ts, so both formats show the same numbers.
 * Text here is raw: each renderer escapes it for its own format.
 */
export type Cell = string | { text: string; best?: boolean; bad?: boolean };

export type Block =
  | { kind: 'heading'; level: 2 | 3; text: string; id?: string }
  /** `lead`: the reader's question, the first thing the report says. */
  | { kind: 'paragraph'; text: string; muted?: boolean; lead?: boolean }
  /** `role`: a stable hook for tests and scripts (`data-role`), e.g. the comparison's verdict table. */
  | { kind: 'table'; headers: string[]; rows: Cell[][]; caption?: string; id?: string; role?: string }
  /** The HTML's "show the whole run" switch for the charts' shared time axis (clipped to `clip` seconds of `full`). */
  | { kind: 'range-toggle'; clip: number; full: number }
  | { kind: 'chart'; chart: RenderedChart; caption?: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'evidence'; title: string; lines: string[] };

export interface ReportDocument {
  title: string;
  subtitle: string;
  blocks: Block[];
  /** The HTML carries vega's runtime and the compiled specs: the charts answer the pointer. */
  interactive?: boolean;
}

export function cellText(cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text;
}
