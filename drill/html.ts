import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from '../reports/escape.js';
import type { DrillRun } from './engine.js';
import { DRILL_PAGE_CSS } from './page-style.js';

/**
 * The drill as one self-contained web page (`mqsim drill FILE --html drill.html`) that a teacher
 * can project and mail. It carries the scenario, not the trace: the page's script (drill/page/,
 * bundled with the engine and the models by `npm run build`) simulates the scenario when the page
 * opens and gets the very trace `mqsim run` gets, so a page weighs about 1.3 MB whatever the run's
 * length, and nothing is fetched. The scenario text goes in base64, so the narrations of later
 * steps are not readable in the page's source either; the script shows one step at a time.
 */

/** The bundled page script: beside this module in dist/, else the repository's dist/ (vitest runs the TS sources). */
export function pageScript(): string {
  const candidates = [new URL('./page/drill-page.js', import.meta.url), new URL('../dist/drill/page/drill-page.js', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error(`the drill page script is not built (looked for ${candidates.map((u) => fileURLToPath(u)).join(', ')}): run npm run build`);
}

/** A script inlined in `<script>`: refuses the sequences that would end or confuse the element. */
function inlineScript(code: string): string {
  if (/<\/script|<!--/i.test(code)) throw new Error('the drill page script contains </script or <!--, which cannot be inlined');
  return code;
}

/** The scenario's text as the page carries it. */
export function scenarioText(run: DrillRun): string {
  return readFileSync(run.scenario.source, 'utf8');
}

export function renderDrillHtml(run: DrillRun, text: string = scenarioText(run)): string {
  const { result, scenario, spec } = run;
  const e = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mqsim">
<title>${e(spec.title)} (mqsim drill)</title>
<style>${DRILL_PAGE_CSS}</style>
</head>
<body data-step="0">
<header class="topbar">
  <div class="title"><h1 id="drill-title" title="${e(spec.title)}">${e(spec.title)}</h1><span class="sub">${e(scenario.system)} · seed ${e(result.seed)} · <span id="where">simulating…</span></span></div>
  <div class="counts" id="counts"></div>
  <nav class="controls">
    <button type="button" data-role="prev" title="Previous step (←)" disabled>◀ Back</button>
    <button type="button" data-role="next" title="Next step (→)" class="primary">Next ▶</button>
    <button type="button" data-role="reveal" title="Show the answer (r)" disabled>Reveal</button>
    <button type="button" id="inspect-toggle" aria-pressed="false" title="Message inspector (i)">Messages</button>
    <button type="button" id="large-toggle" aria-pressed="false" title="Large type for projectors (l)">A+</button>
  </nav>
</header>
<main>
  <section class="stage">
    <div data-role="diagram" class="diagram" aria-label="the cluster at this step"></div>
    <div data-role="inspector" class="inspector" hidden>
      <div class="inspector-head"><h2>Message inspector</h2><button type="button" id="inspect-close" title="Close (Esc)">Close</button></div>
    </div>
  </section>
  <aside class="text">
    <div data-role="narration" class="narration"><p>Simulating the drill in your browser…</p></div>
    <div data-role="question" class="question"></div>
    <div data-role="answer" class="answer" hidden></div>
  </aside>
</main>
<footer data-role="timeline" class="timeline"></footer>
<div id="tip" role="tooltip" hidden></div>
<noscript><p>This page simulates the drill with JavaScript; please enable it.</p></noscript>
<script type="application/octet-stream" id="drill-scenario" data-file="${e(scenario.source.split('/').pop() ?? 'drill.yaml')}">${Buffer.from(text, 'utf8').toString('base64')}</script>
<script>${inlineScript(pageScript())}</script>
</body>
</html>
`;
}
