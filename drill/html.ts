import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from '../reports/escape.js';
import type { DrillRun } from './engine.js';

/**
 * The drill as one self-contained web page (`mqsim drill FILE --html drill.html`): inline CSS,
 * the run's data as JSON in a `<script type="application/json">`, and the page's script (drill/page/
 * drill-page.ts, compiled by `npm run build`) inlined. Nothing is fetched: it opens offline from a
 * file and can be mailed to a class. Text from the scenario reaches the markup escaped here, and
 * the script only ever sets it as textContent.
 */

/** The compiled page script: beside this module in dist/, else the repository's dist/ (vitest runs the TS sources). */
export function pageScript(): string {
  const candidates = [new URL('./page/drill-page.js', import.meta.url), new URL('../dist/drill/page/drill-page.js', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error(`the drill page script is not built (looked for ${candidates.map((u) => fileURLToPath(u)).join(', ')}): run npm run build`);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` written as \u escapes
 * (so neither `</script>` nor `<!--` can appear), and the two line separators JSON allows but
 * old JavaScript parsers did not.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A script inlined in `<script>`: refuses the sequences that would end or confuse the element. */
function inlineScript(code: string): string {
  if (/<\/script|<!--/i.test(code)) throw new Error('the drill page script contains </script or <!--, which cannot be inlined');
  return code;
}

/** What the page needs from the run (all of it JSON). */
export function pageData(run: DrillRun) {
  const { result, scenario, spec } = run;
  return {
    title: spec.title,
    scenario: scenario.name,
    system: scenario.system,
    seed: result.seed,
    end: result.virtualTime,
    nodes: result.nodes.map((n) => ({ name: n.name, roles: [...n.roles] })),
    steps: run.steps,
    series: result.metrics.series,
    counts: result.counts,
    records: run.records,
  };
}

export function renderDrillHtml(run: DrillRun): string {
  const { result, scenario, spec } = run;
  const e = escapeHtml;
  const goals = spec.goals.map((g) => `<li>${e(g)}</li>`).join('');
  const counts = result.counts as unknown as Record<string, number>;
  const facts = ['sent', 'acked', 'delivered', 'lostAcked', 'duplicateDeliveries', 'unknown']
    .filter((k) => typeof counts[k] === 'number')
    .map((k) => `<span class="fact"><b>${e(counts[k]!)}</b> ${e(k)}</span>`)
    .join(' ');
  const example = Object.values(result.anomalies ?? {}).flatMap((a) => (a as { examples?: { msg?: string }[] }).examples ?? []).find((x) => x.msg)?.msg;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mqsim">
<title>${e(spec.title)} (mqsim drill)</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
  <div>
    <h1 id="drill-title">${e(spec.title)}</h1>
    <p class="subtitle">${e(scenario.name)} · ${e(scenario.system)} · seed ${e(result.seed)} · run ${e(formatSeconds(result.virtualTime))} · trace ${e(result.traceHash)}</p>
  </div>
  <div class="tools">
    <button type="button" id="large-toggle" aria-pressed="false" title="Large type for projectors (l)">Large type</button>
    <button type="button" id="print-button" title="Print the drill">Print</button>
  </div>
</header>
${scenario.description ? `<p class="description">${e(scenario.description)}</p>` : ''}
<section class="goals"><h2>Goals</h2><ul>${goals}</ul><p class="facts">${facts}</p></section>
<section id="timeline" class="panel">
  <div class="timebar">
    <button type="button" id="prev-step" title="Previous step (p)">&#9664; step</button>
    <button type="button" id="back-time" title="Back 100ms (left arrow; shift: 1s)">&#8722;0.1s</button>
    <output id="time-label" aria-live="polite">0.000s</output>
    <button type="button" id="forward-time" title="Forward 100ms (right arrow; shift: 1s)">+0.1s</button>
    <button type="button" id="next-step" title="Next step (n)">step &#9654;</button>
    <span id="step-label" class="muted"></span>
  </div>
  <svg id="timeline-marks" viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label="faults (red) and drill steps (blue) on the run's virtual time"></svg>
  <input type="range" id="scrubber" aria-label="virtual time" value="0">
  <div id="timeline-legend" class="legend"></div>
</section>
<div class="columns">
  <section id="cluster" class="panel">
    <h2>The cluster at this instant</h2>
    <p class="muted">Nodes up, down or paused; links cut by partitions (&#9986;); on each link, the messages delivered in the last second.</p>
    <svg id="cluster-diagram" viewBox="0 0 900 300" role="img" aria-label="nodes and links"></svg>
    <ul id="node-list" class="node-list"></ul>
    <ul id="partitions" class="partitions"></ul>
    <h3>Gauges</h3>
    <div id="gauges" class="gauges"></div>
    <p id="backlog-label" class="muted"></p>
    <svg id="backlog-chart" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" aria-label="backlog over the run"></svg>
    <h3>Control-plane state</h3>
    <div id="stores"></div>
    <h3>Latest events</h3>
    <ol id="events" class="events"></ol>
  </section>
  <section id="drill" class="panel">
    <h2>Drill</h2>
    <div id="steps"></div>
    <h2 id="inspector">Message inspector</h2>
    <form id="inspector-form" autocomplete="off">
      <input type="search" id="inspect-input" placeholder="message id${example ? ` (e.g. ${e(example)})` : ''} or key" aria-label="message id or key">
      <button type="submit">Inspect</button>
    </form>
    <div id="inspector-result"></div>
  </section>
</div>
<footer class="keys muted">Keys: &#8592;/&#8594; time &#177;0.1s (shift &#177;1s) · n/p next/previous step · / message inspector · l large type · Home/End start/end of the run.</footer>
<noscript><p>This page needs JavaScript for the timeline, the cluster and the inspector.</p></noscript>
<script type="application/json" id="drill-data">${embedJson(pageData(run))}</script>
<script>${inlineScript(pageScript())}</script>
</body>
</html>
`;
}

function formatSeconds(micros: number): string {
  return `${(micros / 1_000_000).toFixed(3)}s`;
}

const CSS = `
:root { color-scheme: light; --up: #2e7d32; --down: #c62828; --paused: #ef8f00; --idle: #9e9e9e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d; margin: 0 auto; max-width: 1400px; padding: 16px 20px 40px; }
body.large { font-size: 22px; }
body.large .subtitle, body.large .muted, body.large .events { font-size: 18px; }
body.large .columns { grid-template-columns: 1fr; }
body.large input[type=radio] { transform: scale(1.6); margin: 0 8px; }
body.large #cluster-diagram { max-height: 460px; }
.tools { display: flex; gap: 6px; flex-shrink: 0; }
h1 { font-size: 1.6em; margin: 0; }
h2 { font-size: 1.2em; margin: 14px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 1.02em; margin: 14px 0 6px; }
.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 12px; }
.subtitle, .muted { color: #5a5a5a; font-size: 0.87em; }
.subtitle { margin: 2px 0 6px; }
.description { margin: 4px 0; }
.goals ul { margin: 4px 0; }
.fact { margin-right: 12px; }
input { font: inherit; }
button { font: inherit; padding: 3px 10px; border: 1px solid #999; border-radius: 6px; background: #f6f6f6; cursor: pointer; }
button:hover { background: #ececec; }
button:focus-visible, input:focus-visible { outline: 3px solid #1565c0; outline-offset: 1px; }
button[aria-pressed="true"] { background: #1565c0; color: #fff; }
.panel { border: 1px solid #ddd; border-radius: 8px; padding: 8px 14px 12px; margin: 12px 0; background: #fff; }
.timebar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#time-label { font: 600 1.4em/1 ui-monospace, monospace; min-width: 7ch; text-align: center; }
#timeline-marks { width: 100%; height: 44px; display: block; margin-top: 8px; cursor: pointer; }
#timeline-marks .mark { cursor: pointer; }
#scrubber { width: 100%; margin: 2px 0 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { font-size: 0.85em; padding: 1px 8px; border-radius: 12px; }
.fault-chip { border-color: #c62828; color: #8e1b1b; background: #fdecec; }
.columns { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 14px; }
.columns > .panel { margin: 0; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
#cluster-diagram { width: 100%; height: auto; max-height: 340px; display: block; }
.link { stroke: #9ab; stroke-width: 2; }
.link.busy { stroke: #5b8fc9; }
.link.cut { stroke: var(--down); stroke-dasharray: 8 6; stroke-width: 3; }
.traffic { fill: #3b6ea5; font-size: 12px; }
.cut-mark { fill: var(--down); font-size: 20px; }
.node rect { stroke: #333; stroke-width: 1.5; }
.node.up rect { fill: #d8efd9; stroke: var(--up); }
.node.down rect { fill: #f9d4d4; stroke: var(--down); stroke-width: 3; }
.node.paused rect { fill: #ffe9c2; stroke: var(--paused); stroke-width: 3; }
.node.not-started rect { fill: #eee; stroke: var(--idle); }
.node-name { font-size: 15px; font-weight: 600; }
.node-status { font-size: 12px; letter-spacing: 0.05em; }
.node.down .node-status { fill: var(--down); font-weight: 700; }
.node-leads { font-size: 11px; fill: #1d4f8f; }
table.leaders { border-collapse: collapse; font-size: 0.85em; margin: 4px 0 8px; }
table.leaders th, table.leaders td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
.node.paused .node-status { fill: #a35f00; font-weight: 700; }
body.large .node-name { font-size: 19px; } body.large .node-status { font-size: 15px; }
.node-list { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.9em; }
.node-list li::before { content: "\\25CF  "; }
.node-list li.up::before { color: var(--up); } .node-list li.down::before { color: var(--down); }
.node-list li.paused::before { color: var(--paused); } .node-list li.not-started::before { color: var(--idle); }
.partitions { margin: 4px 0; padding-left: 18px; }
.cut-text { color: var(--down); font-weight: 600; }
.gauges { display: flex; flex-wrap: wrap; gap: 6px; }
.gauge { border: 1px solid #ddd; border-radius: 6px; padding: 2px 8px; font-variant-numeric: tabular-nums; }
.gauge-name { color: #555; margin-right: 6px; font-size: 0.85em; }
.gauge-value { font-weight: 700; }
#backlog-chart { width: 100%; height: 70px; display: block; border-bottom: 1px solid #ccc; }
#stores pre { background: #f7f7f7; padding: 6px 8px; max-height: 260px; overflow: auto; font-size: 0.8em; margin: 4px 0; }
.events { font: 0.8em/1.35 ui-monospace, monospace; white-space: pre; overflow-x: auto; padding-left: 0; list-style: none; margin: 4px 0; }
.events .net-drop, .events .node-crash, .events .fault { color: var(--down); }
.step { border-left: 4px solid #c5d4ea; padding: 2px 0 8px 12px; margin: 10px 0; }
.step.current { border-left-color: #1565c0; background: #f2f7fd; }
.step h3 { margin: 6px 0 4px; }
.go { font-size: 0.85em; }
.question { margin: 6px 0; }
.choice { display: block; padding: 2px 0; cursor: pointer; }
.buttons { display: flex; gap: 8px; margin: 6px 0; }
.verdict.right { color: var(--up); font-weight: 700; }
.verdict.wrong { color: var(--down); font-weight: 700; }
.reveal { background: #f4f8f1; border: 1px solid #cfe3c6; border-radius: 6px; padding: 4px 10px; }
#inspector-form { display: flex; gap: 8px; }
#inspect-input { flex: 1; font: inherit; padding: 3px 8px; }
.verdict-line { margin: 8px 0; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 10px; font-weight: 700; color: #fff; background: #777; }
.badge.verdict-lost, .chip.verdict-lost { background: var(--down); color: #fff; }
.badge.verdict-duplicated, .chip.verdict-duplicated { background: var(--paused); color: #fff; }
.badge.verdict-delivered, .chip.verdict-delivered { background: var(--up); color: #fff; }
.msg-list { display: flex; flex-wrap: wrap; gap: 4px; }
table.journey { border-collapse: collapse; width: 100%; font-size: 0.88em; font-variant-numeric: tabular-nums; }
table.journey th, table.journey td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
table.journey tr.net td { color: #555; }
table.journey tr.drop td { color: var(--down); }
table.journey tr.evidence td { color: var(--down); font-weight: 600; }
.time-link { border: none; background: none; padding: 0; color: #1565c0; text-decoration: underline; font-variant-numeric: tabular-nums; }
.keys { margin-top: 16px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .tools, .timebar button, #scrubber, #timeline-legend, .go, .buttons, #inspector-form, .keys { display: none !important; }
  .time-link { color: inherit; text-decoration: none; }
  #cluster-diagram { max-height: 240px; }
  .columns { display: block; }
  .panel { border: none; padding: 0; page-break-inside: auto; }
  .step { page-break-inside: avoid; background: none !important; }
  .reveal[hidden] { display: none; }
  #stores pre { max-height: none; overflow: visible; white-space: pre-wrap; }
  a { color: inherit; }
}
`;
