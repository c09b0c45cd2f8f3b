/**
 * Escaping for the report formats. Everything a scenario file or a run can carry (names,
 * descriptions, fault descriptions, notes) goes through these before it reaches HTML or
 * Markdown, so a scenario described as `<script>` renders as text and a `|` cannot break a table.
 */
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML[c]!);
}

/** A Markdown table cell or inline text: pipes, HTML and emphasis characters neutralised, one line. */
export function escapeMarkdown(text: string | number): string {
  return String(text)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\`*_[\]|<>#]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}
