import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS } from '../models/index.js';
import { REPO_ROOT } from './golden.js';

/**
 * docs/trace-notes.md, made from the models' note catalogues (models/<system>/notes.ts): every
 * note a run can write into the trace (`"kind":"note"` records, the drill page's events, the
 * reports' explanations), with its meaning. `npm run docs:notes` rewrites it; a test fails when
 * the committed file is not what the catalogues give.
 */
export const NOTES_DOC = join(REPO_ROOT, 'docs', 'trace-notes.md');

export function notesDocument(): string {
  const lines = [
    '# Trace notes',
    '',
    'A model writes a **note** into the trace when something happens that the packets alone do not',
    'say: a leader elected, a follower dropped from the ISR, a message dead-lettered. Notes appear in',
    '`mqsim run --trace` files as records of kind `note` (`what` and its details), in the drill pages',
    'and in the reports\' explanations. This file is generated from `models/<system>/notes.ts`',
    '(`npm run docs:notes`); a run that writes a note its catalogue lacks fails the tests.',
    '',
  ];
  for (const [system, model] of Object.entries(MODELS)) {
    const entries = Object.entries(model.notes).sort(([a], [b]) => a.localeCompare(b));
    lines.push(`## ${system} (${entries.length})`, '', '| note | meaning |', '| --- | --- |');
    for (const [name, meaning] of entries) lines.push(`| \`${name}\` | ${meaning.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = notesDocument();
  const before = (() => {
    try {
      return readFileSync(NOTES_DOC, 'utf8');
    } catch {
      return '';
    }
  })();
  writeFileSync(NOTES_DOC, text);
  process.stdout.write(before === text ? 'docs/trace-notes.md is up to date\n' : 'wrote docs/trace-notes.md\n');
}
