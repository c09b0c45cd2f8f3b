/**
 * Text for a terminal. Anything a file can put into mqsim's output (a description, a key name in
 * an error, a drill's narration, a property name in a shard report) could carry control
 * characters that retitle the window, clear the screen or plant hyperlinks. Every byte mqsim
 * writes to a terminal passes through `terminalSafe`: control characters are shown escaped
 * (`\x1b`), except line breaks, tabs, the carriage return of a progress line, and the two escape
 * sequences mqsim itself writes (SGR colours `ESC[...m` and erase-line `ESC[2K`). JSON output
 * needs nothing: JSON.stringify escapes every control character already.
 */

// C0 controls but \t \n \r, DEL, C1 controls; ESC handled apart (its own sequences may stay).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/g;
const ESCAPE_OR_OURS = /\u001b(\[[0-9;]*m|\[2K)?/g;

function escapeChar(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

export function terminalSafe(text: string): string {
  // Most output has no control character at all: one test, no copy.
  if (!/[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]/.test(text)) return text;
  return text
    .replace(ESCAPE_OR_OURS, (match, ours: string | undefined) => (ours !== undefined ? match : escapeChar('\u001b')))
    .replace(CONTROL, escapeChar);
}

/**
 * File-made text inside our own coloured output: escape sequences it carries must not pass as
 * ours, so such text is escaped before mqsim wraps it in colour.
 */
export function plainText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, escapeChar);
}
