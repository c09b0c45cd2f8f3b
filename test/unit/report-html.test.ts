import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompare, runComparison } from '../../models/compare.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { buildCompareReport } from '../../reports/compare-report.js';
import { comparisonFacts } from '../../reports/comparison.js';
import { escapeHtml, escapeMarkdown } from '../../reports/escape.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { buildRunReport } from '../../reports/run-report.js';
import { mqsim } from '../cli-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CRASH = 'scenarios/demo/ack-before-fsync-crash.yaml';
const EVIL = '<script>alert(1)</script>';

/**
 * No reference to anything outside the file: the only URLs allowed are SVG namespace declarations.
 * A comparison inlines vega's runtime (id="vega-runtime", whose code names the SVG namespaces), its
 * own chart script and the charts' specs (JSON): those are left out of the search, and every
 * other <script> counts as a reference, as does any script with a src. `url(#id)` points inside the file.
 */
function externalUrls(html: string): string[] {
  const stripped = html
    .replace(/<script id="vega-runtime">[\s\S]*?<\/script>/, '')
    .replace(/<script type="application\/json" class="vega-spec">[^<]*<\/script>/g, '')
    .replace(/<script>\s*\(function \(\) \{\s*if \(!window\.vega\) return;[\s\S]*?<\/script>/, '')
    .replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')
    // A chart's clip paths are referenced by fragment, inside the file: clip-path="url(#backlog-clip1)".
    .replace(/url\(#[\w-]+\)/g, '');
  return [...(stripped.match(/(https?:|\/\/[a-z0-9.-]+\.[a-z]{2,}\/|<link\b|<script\b|@import|url\()/gi) ?? []), ...(html.match(/<script[^>]*\bsrc=/gi) ?? [])];
}

describe('HTML and Markdown reports', () => {
  it('escapes every text from a scenario: a scenario named <script> renders as text', async () => {
    const result = simulate(loadScenario(join(ROOT, CRASH)), { keepHistory: true });
    // Scenario names are validated to [A-Za-z0-9._-]; a result carrying any text must still be safe.
    result.scenario = EVIL;
    result.description = `${EVIL} & "quotes"`;
    result.cluster = [...result.cluster, `broker ${EVIL}`];
    result.faults[0]!.description = `kill <b>broker</b>`;
    const html = renderHtml(await buildRunReport(result));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>broker');
    expect(html).toContain(`<title>${escapeHtml(EVIL)}</title>`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    const { markdown } = renderMarkdown(await buildRunReport(result), 'run');
    expect(markdown).not.toContain('<script');
    expect(escapeMarkdown('a | b')).toBe('a \\| b');
  });

  it('escapes a compare file\'s description and names in the comparison report', async () => {
    const compare = parseCompare([
      'name: evil',
      `description: "${EVIL}"`,
      'duration: 2s',
      'drain: 2s',
      'workload: { producers: [{ id: p1, rate: 20/s }], consumers: [{ group: g }] }',
      'variants:',
      `  - { name: a, system: demo, description: "<img src=x onerror=alert(1)>" }`,
      '',
    ].join('\n'), 'evil.yaml');
    const html = renderHtml(await buildCompareReport(comparisonFacts(runComparison(compare, 1))));
    // The only scripts are the report's own (vega's runtime, the chart script, the specs as JSON).
    expect(externalUrls(html)).toEqual([]);
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('mqsim run --report/--md: the HTML has the summary table, one <svg> per chart, no external URL; the Markdown links SVG files beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-report-'));
    const { code, stdout } = await mqsim(['run', CRASH, '--report', join(dir, 'run.html'), '--md', join(dir, 'run.md'), '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS /);
    const html = readFileSync(join(dir, 'run.html'), 'utf8');
    expect(html).toContain('id="summary-table"');
    expect(html).toContain('id="faults"');
    const charts = html.match(/<figure class="chart"/g) ?? [];
    expect(charts).toHaveLength(5);
    expect(html.match(/<svg\b/g)).toHaveLength(5);
    for (const id of ['throughput', 'backlog', 'inflight', 'latency-time', 'latency']) expect(html).toContain(`id="chart-${id}"`);
    expect(html).toContain('crash broker (restart after 3s)');
    expect(html).toContain('lost-write: first 5 of 505');
    expect(externalUrls(html)).toEqual([]);
    const markdown = readFileSync(join(dir, 'run.md'), 'utf8');
    for (const id of ['throughput', 'backlog', 'inflight', 'latency-time', 'latency']) {
      expect(markdown).toContain(`(run-${id}.svg)`);
      expect(readFileSync(join(dir, `run-${id}.svg`), 'utf8')).toMatch(/^<svg /);
    }
    expect(markdown).toMatch(/\| sent \| acked \|/);
  });

  it('mqsim run --report does not change the run: same JSON with and without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-report-'));
    const plain = await mqsim(['run', CRASH, '--json']);
    const reported = await mqsim(['run', CRASH, '--json', '--report', join(dir, 'r.html')]);
    expect(reported.stdout).toBe(plain.stdout);
    expect(existsSync(join(dir, 'r.html'))).toBe(true);
    const usage = await mqsim(['run', CRASH, CRASH, '--report', join(dir, 'two.html')]);
    expect(usage.code).toBe(2);
  });

  it('mqsim compare --out/--md writes one self-contained HTML file and a Markdown file with its charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-compare-'));
    const { code } = await mqsim(['compare', 'scenarios/compare/demo-ack-modes.yaml', '--out', join(dir, 'c.html'), '--md', join(dir, 'c.md')]);
    expect(code).toBe(0);
    const html = readFileSync(join(dir, 'c.html'), 'utf8');
    expect(html).toContain('id="summary-table"');
    expect(html).toContain('id="mapping"');
    expect(html.match(/<svg\b/g)).toHaveLength(6);
    expect(html).toMatch(/class="[^"]*\bbest\b/);
    // The verdict table is the first table, with its hook; the question comes before it.
    expect(html.indexOf('<table')).toBe(html.indexOf('<table id="verdict" data-role="verdict"'));
    expect(html.indexOf('class="lead"')).toBeLessThan(html.indexOf('<table'));
    expect(externalUrls(html)).toEqual([]);
    const markdown = readFileSync(join(dir, 'c.md'), 'utf8');
    for (const id of ['backlog', 'inflight', 'deliveries', 'acks', 'latency-time', 'latency']) expect(existsSync(join(dir, `c-${id}.svg`)), id).toBe(true);
    expect(markdown).toContain('crash main-broker, for 3s');
    writeFileSync(join(dir, 'done'), '');
  });
});

describe('report determinism', () => {
  it('the same comparison renders the same HTML and Markdown, byte for byte', async () => {
    const text = ['name: det', 'duration: 2s', 'drain: 2s', 'workload: { producers: [{ id: p1, rate: 20/s }], consumers: [{ group: g }] }', 'faults: [{ at: 1s, pause: b, for: 200ms }]',
      'variants:', '  - { name: a, system: demo, roles: { b: broker } }', '  - { name: c, system: demo, consumer: { count: 2 }, roles: { b: broker } }', ''].join('\n');
    const render = async () => {
      const doc = await buildCompareReport(comparisonFacts(runComparison(parseCompare(text, 'det.yaml'), 2)));
      return [renderHtml(doc), renderMarkdown(doc, 'det').markdown];
    };
    expect(await render()).toEqual(await render());
  });
});
