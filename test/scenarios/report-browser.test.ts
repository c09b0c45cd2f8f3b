import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/commands.js';
import { main } from '../../cli/main.js';
import { FAULT_COLOUR } from '../../reports/charts.js';

/**
 * The reports open in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser). Without /usr/bin/chromium the test says so and is skipped locally; under
 * CI (CI=true, where .ci/run installs it) it must run. One browser for every case.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '..', '..');
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';
/** Screenshots for people to look at (git-ignored); the tests compare no pixels. */
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/* The page's globals, used only inside page.evaluate callbacks (the project compiles without the DOM lib). */
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const Node: any;

if (!available && !mustRun) {
  console.warn(`report-browser: ${CHROMIUM} is absent, so the browser test is skipped (apt-get install chromium to run it)`);
}

async function mqsim(args: string[]) {
  const io: CliIo = { stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: { NO_COLOR: '1' }, cwd: ROOT, exitCode: 0 };
  return main(args, io);
}

/** Opens a file, failing on any console error, page error or request that leaves the file. */
async function open(browser: Browser, file: string, viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { context, page, errors, requests };
}

/**
 * Each series' colour in each chart, read from the SVG on the page: the line (or point) marks
 * vega draws carry an aria-label ending in "variant: <name>" (or "run: <name>" on the
 * percentiles chart); their stroke or fill is the colour. Hidden marks (the hover targets) are skipped.
 */
async function seriesColours(page: Page): Promise<Record<string, Record<string, string[]>>> {
  return page.evaluate(() => {
    const out: Record<string, Record<string, string[]>> = {};
    for (const figure of document.querySelectorAll('figure.chart')) {
      const chart: Record<string, string[]> = {};
      for (const mark of figure.querySelectorAll('svg g.mark-line path[aria-label], svg g.mark-symbol path[aria-label]')) {
        if (mark.getAttribute('opacity') === '0') continue;
        const name = /(?:^|; )(?:variant|run): ([^;]+)/.exec(mark.getAttribute('aria-label') ?? '')?.[1];
        const colour = mark.getAttribute('stroke') !== null && mark.closest('g.mark-line') ? mark.getAttribute('stroke') : mark.getAttribute('fill') ?? mark.getAttribute('stroke');
        if (!name || !colour) continue;
        chart[name] = [...new Set([...(chart[name] ?? []), colour])];
      }
      out[figure.id] = chart;
    }
    return out;
  });
}

describe.skipIf(!available && !mustRun)('reports in headless Chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-browser-'));

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required under CI`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright gives each launch a fresh empty profile of its own (it refuses --user-data-dir here).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  const cases = [
    { name: 'comparison', file: 'compare.html', args: (out: string) => ['compare', 'scenarios/compare/demo-ack-modes.yaml', '--out', out], table: '#summary-table', charts: ['backlog', 'inflight', 'deliveries', 'acks', 'latency-time', 'latency'] },
    // Across systems: the systems' own lag / queue depth (Kafka, RabbitMQ), a consumer outage on the time axis.
    { name: 'cross-system comparison', file: 'dead-letters.html', args: (out: string) => ['compare', 'scenarios/compare/dead-letters.yaml', '--out', out], table: '#summary-table', charts: ['backlog', 'lag', 'inflight', 'deliveries', 'acks', 'latency-time', 'latency'] },
    { name: 'single run', file: 'run.html', args: (out: string) => ['run', 'scenarios/demo/ack-before-fsync-crash.yaml', '--quiet', '--report', out], table: '#summary-table', charts: ['throughput', 'backlog', 'inflight', 'latency-time', 'latency'] },
  ];

  for (const c of cases) {
    it(`the ${c.name} report opens from a file:// URL with no console error, its table and every chart visible`, async () => {
      const out = join(dir, c.file);
      expect(await mqsim(c.args(out))).toBe(0);
      const { context, page, errors, requests } = await open(browser, out);
      await expect.poll(() => page.locator(c.table).isVisible()).toBe(true);
      for (const id of c.charts) {
        const svg = page.locator(`#chart-${id} svg`);
        expect(await svg.isVisible(), id).toBe(true);
        const box = await svg.boundingBox();
        expect(box!.width, id).toBeGreaterThan(200);
        expect(box!.height, id).toBeGreaterThan(100);
      }
      const shot = join(dir, `${c.file}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await context.close();
    });
  }

  const files = readdirSync(join(ROOT, 'scenarios', 'compare')).filter((f) => f.endsWith('.yaml')).sort();

  /** Printable width in CSS pixels (96 per inch) of a portrait page with the report's 12mm margins. */
  const PAPER = { A4: 210 / 25.4, Letter: 8.5 };
  const printable = (inches: number) => Math.floor((inches - (2 * 12) / 25.4) * 96);

  it.each(files)('%s: verdict table first, no best mark on a variant that lost acknowledged messages, one colour per variant in every chart, tables fit A4 and Letter', async (file) => {
    const out = join(dir, file.replace(/\.yaml$/, '.html'));
    expect(await mqsim(['compare', `scenarios/compare/${file}`, '--out', out])).toBeLessThan(2);
    const { context, page, errors, requests } = await open(browser, out, { width: 1280, height: 720 });
    await expect.poll(() => page.evaluate(() => document.body.dataset.charts)).toBe('live');

    // The verdict comes first: the first table of the page is the verdict table, and the question is above it.
    expect(await page.evaluate(() => document.querySelector('table')?.getAttribute('data-role'))).toBe('verdict');
    expect(await page.evaluate(() => {
      const lead = document.querySelector('p.lead');
      const table = document.querySelector('table');
      return lead !== null && table !== null && (lead.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    })).toBe(true);

    // Lost acknowledged messages, per variant, from the outcomes table; then no ★ anywhere in that variant's rows.
    const marks = await page.evaluate(() => {
      const outcomes = document.querySelector('table#outcomes')!;
      const column = [...outcomes.querySelectorAll('thead th')].findIndex((th) => th.textContent === 'lost acknowledged');
      const lost: Record<string, number> = {};
      for (const row of outcomes.querySelectorAll('tbody tr')) lost[row.children[0]!.textContent!] = Number(row.children[column]!.textContent!.replace(/[^\d]/g, ''));
      const best: Record<string, number> = {};
      for (const row of document.querySelectorAll('tbody tr')) {
        const name = row.children[0]!.textContent!;
        best[name] = (best[name] ?? 0) + row.querySelectorAll('td.best').length;
      }
      return { lost, best };
    });
    expect(Object.keys(marks.lost).length).toBeGreaterThan(1);
    for (const [name, lost] of Object.entries(marks.lost)) if (lost > 0) expect(marks.best[name] ?? 0, name).toBe(0);

    // One colour per variant: the same in every chart that draws it, a different one for each variant, never the faults' red.
    const colours = await seriesColours(page);
    const charts = Object.keys(colours);
    expect(charts.length).toBeGreaterThanOrEqual(5);
    const of: Record<string, string> = {};
    for (const [chart, series] of Object.entries(colours)) {
      expect(Object.keys(series).length, chart).toBeGreaterThan(0);
      for (const [name, list] of Object.entries(series)) {
        expect(list, `${chart} ${name}`).toHaveLength(1);
        of[name] ??= list[0]!;
        expect(list[0], `${chart}: ${name}`).toBe(of[name]);
      }
    }
    expect(new Set(Object.values(of)).size).toBe(Object.keys(of).length);
    expect(Object.values(of)).not.toContain(FAULT_COLOUR);
    expect(Object.keys(of).sort()).toEqual(Object.keys(marks.lost).sort());

    if (file === 'demo-ack-modes.yaml') {
      // The hover readout is shared: pointing at an instant in the backlog chart shows the values at that instant in the other charts too.
      const readouts = () => page.evaluate(() => [...document.querySelectorAll('figure.chart')].map((f: any) => f.querySelectorAll('svg g.mark-text.role-mark text').length));
      const before = await readouts();
      const backlog = page.locator('#chart-backlog svg');
      await backlog.scrollIntoViewIfNeeded();
      const box = (await backlog.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.4);
      await expect.poll(async () => (await readouts()).filter((n, i) => n > before[i]!).length).toBeGreaterThanOrEqual(4);
      // "Show the whole run" widens every time axis from the clipped range to the whole run, and back.
      // The last tick label of the in-flight chart's time axis (vega leaves the axis' aria-label as first drawn).
      const axis = () => page.evaluate(() => [...document.querySelectorAll('#chart-inflight svg [aria-label^="X-axis"] .role-axis-label text')].map((t: any) => t.textContent).at(-1));
      const clipped = await axis();
      expect(Number(clipped)).toBeLessThan(50);
      await page.locator('[data-role="full-range"]').click();
      await expect.poll(axis).toBe('50');
      await page.locator('[data-role="full-range"]').click();
      await expect.poll(axis).toBe(clipped);
    }

    // Printed portrait on A4 and on Letter: every table within the printable width, none cut off.
    await page.emulateMedia({ media: 'print' });
    for (const [paper, inches] of Object.entries(PAPER) as [keyof typeof PAPER, number][]) {
      const width = printable(inches);
      await page.setViewportSize({ width, height: 1000 });
      const tables = await page.evaluate(() => [...document.querySelectorAll('table')].map((t) => ({ id: t.id || t.querySelector('th')?.textContent || '?', width: t.getBoundingClientRect().width, scroll: t.scrollWidth, right: t.getBoundingClientRect().right })));
      for (const t of tables) {
        expect(t.width, `${paper}: table ${t.id}`).toBeLessThanOrEqual(width + 0.5);
        expect(t.scroll, `${paper}: table ${t.id} content`).toBeLessThanOrEqual(Math.ceil(t.width) + 1);
        expect(t.right, `${paper}: table ${t.id} right edge`).toBeLessThanOrEqual(width + 0.5);
      }
      const pdf = await page.pdf({ format: paper, landscape: false, printBackground: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    }
    if (file === 'reliable-delivery-broker-crash.yaml') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.emulateMedia({ media: 'screen' });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.screenshot({ path: join(SCREENSHOTS, 'compare-reliable-delivery-1280x720.png') });
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await context.close();
    // kafka-rebalance-protocols runs 10 consumers over 900 partitions four times (about 25 s of CPU).
  }, 240_000);
});
