/// <reference lib="dom" />
// measure() below runs in the page (page.evaluate), hence the DOM types in this file.
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/commands.js';
import { scenarioFiles } from '../../cli/commands.js';
import { main } from '../../cli/main.js';
import { runDrill, type DrillRun } from '../../drill/engine.js';
import { renderDrillHtml } from '../../drill/html.js';
import { loadScenario } from '../../models/scenario.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * Every shipped drill page in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), one browser for the file and one page per drill, opened from a file:// URL.
 * At 1280×720 (and 1920×1080 for some), in normal and large type, at every step: the diagram, the narration
 * and the question are inside the viewport and the page does not scroll; no diagram text is under
 * 14 px; no two lines of text overlap; the answer is hidden until Reveal; the page holds no text of
 * the next step's narration. The page simulates the scenario itself: its trace hash must be
 * `mqsim run`'s. Screenshots of one drill go to test-output/screenshots/ (git-ignored) to look at.
 * Without /usr/bin/chromium the test says so and is skipped locally; under CI it must run.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];
/** The page has simulated its drill, or failed to: then the test fails at once with the page's message. */
async function ready(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"], .error', { timeout: 60_000 });
  const error = await page.$eval('.error', (e) => e.textContent).catch(() => null);
  if (error) throw new Error(`the drill page could not simulate its drill: ${error}`);
}

const SHOTS = join(REPO_ROOT, 'test-output', 'screenshots');
/**
 * The page's type grows with the viewport's width, so 1920×1080 lays out as 1280×720 scaled by 1.5:
 * every drill is checked at 1280×720, and at 1920×1080 these, one per system and the largest
 * cluster, which keeps the test to about a minute.
 */
const ALSO_AT_1920 = new Set(['demo-consumer-crash', 'kafka-static-membership', 'rabbitmq-autoack-loss', 'rocketmq-stale-route']);

if (!available && !mustRun) {
  console.warn(`drill-html-browser: ${CHROMIUM} is absent, so the browser test of the drill pages is skipped (apt-get install chromium to run it)`);
}

/** What the page shows, measured in the page (runs in the browser). */
interface Layout {
  step: number;
  scrolls: boolean;
  boxes: Record<string, { left: number; top: number; right: number; bottom: number; visible: boolean }>;
  /** The smallest font size of a visible text in the diagram, and the text that has it. */
  smallest: { size: number; text: string };
  /** Pairs of visible text lines whose boxes overlap. */
  overlaps: string[];
  answerVisible: boolean;
  visibleText: string;
  domText: string;
}

function measure(): Layout {
  const roles = ['diagram', 'narration', 'question', 'timeline'];
  const boxes: Layout['boxes'] = {};
  for (const role of roles) {
    const element = document.querySelector(`[data-role="${role}"]`) as HTMLElement;
    const r = element.getBoundingClientRect();
    boxes[role] = { left: r.left, top: r.top, right: r.right, bottom: r.bottom, visible: element.checkVisibility() && r.width > 0 && r.height > 0 };
  }
  // Every visible text node, with the boxes of its lines clipped to its scrolling/clipping ancestors.
  const lines: { text: string; rect: DOMRect; node: Text }[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let smallest = { size: Infinity, text: '' };
  const diagram = document.querySelector('[data-role="diagram"]')!;
  for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
    const text = node.data.trim();
    const parent = node.parentElement;
    if (!text || !parent || !parent.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) || parent.closest('script, noscript, #tip')) continue;
    let clip = new DOMRect(0, 0, innerWidth, innerHeight);
    for (let a: Element | null = parent; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
        const r = a.getBoundingClientRect();
        const left = Math.max(clip.left, r.left);
        const top = Math.max(clip.top, r.top);
        clip = new DOMRect(left, top, Math.max(0, Math.min(clip.right, r.right) - left), Math.max(0, Math.min(clip.bottom, r.bottom) - top));
      }
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const left = Math.max(r.left, clip.left);
      const top = Math.max(r.top, clip.top);
      const right = Math.min(r.right, clip.right);
      const bottom = Math.min(r.bottom, clip.bottom);
      if (right - left < 1 || bottom - top < 1) continue;
      lines.push({ text, rect: new DOMRect(left, top, right - left, bottom - top), node });
    }
    if (diagram.contains(node)) {
      const size = parseFloat(getComputedStyle(parent).fontSize);
      if (size < smallest.size) smallest = { size, text };
    }
  }
  const overlaps: string[] = [];
  // Glyph boxes of adjacent lines may touch by a pixel; an overlap is more than 2 px each way.
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i]!.rect;
      const b = lines[j]!.rect;
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 2 && y > 2 && lines[i]!.node !== lines[j]!.node) overlaps.push(`"${lines[i]!.text}" / "${lines[j]!.text}"`);
    }
  }
  const answer = document.querySelector('[data-role="answer"]') as HTMLElement;
  const scroller = document.scrollingElement!;
  return {
    step: Number(document.body.dataset.step),
    scrolls: scroller.scrollHeight > innerHeight + 1 || scroller.scrollWidth > innerWidth + 1 || scrollY !== 0,
    boxes,
    smallest,
    overlaps,
    answerVisible: answer.checkVisibility() && answer.getBoundingClientRect().height > 0,
    visibleText: document.body.innerText,
    domText: document.documentElement.textContent ?? '',
  };
}

/** The first words of a text, whitespace folded: enough to recognise it, short enough to survive line breaks. */
function opening(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 70);
}

function fold(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** `mqsim run FILE --json`'s trace hash, through the CLI itself. */
async function runHash(file: string): Promise<string> {
  let stdout = '';
  const io: CliIo = { stdout: (s) => { stdout += s; }, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: { NO_COLOR: '1' }, cwd: REPO_ROOT, exitCode: 0 };
  await main(['run', file, '--json'], io);
  return (JSON.parse(stdout) as { traceHash: string }).traceHash;
}

describe.skipIf(!available && !mustRun)('drill pages in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-drill-pages-'));
  let browser: Browser;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required under CI`).toBe(true);
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Writes the page, checks its size, opens it at 1280×720 and waits for its simulation. */
  async function open(run: DrillRun, html = renderDrillHtml(run)) {
    const path = join(dir, `${run.scenario.name}.html`);
    writeFileSync(path, html);
    const page = await browser.newPage({ viewport: VIEWPORTS[0]! });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()); });
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    await ready(page);
    return { page, errors, requests, bytes: statSync(path).size };
  }

  const go = (page: Page, step: number) => page.evaluate((k) => (globalThis as unknown as { mqsimDrill: { go: (k: number) => void } }).mqsimDrill.go(k), step);

  for (const file of scenarioFiles(join(REPO_ROOT, 'scenarios', 'drills'))) {
    const name = file.slice(REPO_ROOT.length + 1);
    // Concurrent: while one page simulates its drill in Chromium, the next is prepared in Node.
    it.concurrent(`${name}: fits, one step at a time, no spoilers, ≤ 2 MB, the trace of mqsim run`, async ({ expect }) => {
      const run = runDrill(loadScenario(file));
      const { page, errors, requests, bytes } = await open(run);
      expect(bytes, 'page size').toBeLessThanOrEqual(MAX_PAGE_BYTES);
      expect(await page.locator('body').getAttribute('data-trace-hash')).toBe(await runHash(name));
      const last = run.steps.length;
      for (const viewport of ALSO_AT_1920.has(name.replace(/^.*\/|\.yaml$/g, '')) ? VIEWPORTS : VIEWPORTS.slice(0, 1)) {
        await page.setViewportSize(viewport);
        for (const large of [false, true]) {
          if (large !== (await page.locator('body.large').count()) > 0) await page.locator('#large-toggle').click();
          await go(page, 0);
          for (let k = 0; k <= last; k++) {
            if (k > 0) await page.locator('[data-role="next"]').click();
            const where = `${viewport.width}×${viewport.height}${large ? ' large' : ''} step ${k}`;
            const layout = await page.evaluate(measure);
            expect(layout.step, where).toBe(k);
            expect(layout.scrolls, `${where}: the page scrolls`).toBe(false);
            for (const role of ['diagram', 'narration', 'question']) {
              const box = layout.boxes[role]!;
              expect(box.visible, `${where}: ${role} visible`).toBe(true);
              expect(box.left >= 0 && box.top >= 0 && box.right <= viewport.width && box.bottom <= viewport.height, `${where}: ${role} ${JSON.stringify(box)} inside the viewport`).toBe(true);
            }
            expect(layout.smallest.size, `${where}: diagram text "${layout.smallest.text}"`).toBeGreaterThanOrEqual(14);
            expect(layout.overlaps, `${where}: overlapping text`).toEqual([]);
            expect(layout.answerVisible, `${where}: answer shown before Reveal`).toBe(false);
            const next = run.steps[k];
            if (next) {
              // The next step's narration is nowhere in the page: not shown, not in the DOM's text.
              expect(fold(layout.visibleText), `${where}: shows step ${k + 1}'s narration`).not.toContain(opening(next.narration));
              expect(fold(layout.domText), `${where}: holds step ${k + 1}'s narration`).not.toContain(opening(next.narration));
            }
            const current = run.steps[k - 1];
            if (current?.question && !current.question.choices) expect(fold(layout.visibleText)).not.toMatch(new RegExp(`Answer: ${current.question.answer}\\b`));
          }
        }
      }
      // Reveal, then back and forth: the answer shows after Reveal only, and stays revealed.
      await page.setViewportSize(VIEWPORTS[0]!);
      await go(page, 0);
      for (let k = 1; k <= last; k++) {
        await page.locator('[data-role="next"]').click();
        const step = run.steps[k - 1]!;
        const answer = page.locator('[data-role="answer"]');
        expect(await answer.isVisible()).toBe(false);
        if (!step.question && !step.explanation) {
          expect(await page.locator('[data-role="reveal"]').isDisabled()).toBe(true);
          continue;
        }
        await page.locator('[data-role="reveal"]').click();
        expect(await answer.isVisible()).toBe(true);
        const shown = fold((await answer.textContent()) ?? '');
        if (step.explanation) expect(shown).toContain(opening(step.explanation));
        if (step.question) expect(shown).toContain(`Answer: ${step.question.answer}`);
        const layout = await page.evaluate(measure);
        expect(layout.overlaps, `step ${k} revealed: overlapping text`).toEqual([]);
        expect(layout.scrolls).toBe(false);
      }
      await page.locator('[data-role="prev"]').click();
      expect(await page.locator('body').getAttribute('data-step')).toBe(String(last - 1));
      if (run.steps[last - 2]?.explanation) expect(await page.locator('[data-role="answer"]').isVisible()).toBe(true);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    });
  }

  it('screenshots of one drill at three steps, 1280×720 and 1920×1080, written for people to look at', async () => {
    const run = runDrill(loadScenario(join(REPO_ROOT, 'scenarios/drills/kafka-acks-1-leader-failover.yaml')));
    const { page } = await open(run);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const step of [1, 2, 4]) {
        await go(page, step);
        const path = join(SHOTS, `kafka-acks-1-leader-failover-step${step}-${viewport.width}x${viewport.height}.png`);
        await page.screenshot({ path });
        expect(statSync(path).size).toBeGreaterThan(20_000);
      }
    }
    await page.close();
  });
});

describe.skipIf(!available && !mustRun)('the drill page: diagram, inspector, timeline and glossary', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-drill-page-'));

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string) {
    const run = runDrill(loadScenario(join(REPO_ROOT, 'scenarios/drills', file)));
    const path = join(dir, file.replace('.yaml', '.html'));
    writeFileSync(path, renderDrillHtml(run));
    const page = await browser.newPage({ viewport: VIEWPORTS[0]! });
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    await ready(page);
    return { run, page };
  }

  const go = (page: Page, step: number) => page.evaluate((k) => (globalThis as unknown as { mqsimDrill: { go: (k: number) => void } }).mqsimDrill.go(k), step);
  const inspect = async (page: Page, id: string) => {
    await page.locator('#inspect-input').fill(id);
    await page.locator('#inspect-input').press('Enter');
    return page.locator('[data-role="inspector"] .inspect-result');
  };

  it('Kafka: replica strips with LEO, HW, epoch and ISR; the inspector tells a lost record\'s story, and only up to the step', async () => {
    const { run, page } = await open('kafka-acks-1-leader-failover.yaml');
    const lost = run.result.anomalies['lost-write']!.examples[0]!.msg!;
    // Step 1 (4 s): broker-1 leads orders-0, all three in the ISR.
    await go(page, 1);
    const leader = page.locator('[data-role="diagram"] [data-node="broker-1"] [data-strip="orders-0"]');
    expect(await leader.textContent()).toMatch(/leader.*LEO\s*\d+.*HW\s*\d+.*ISR\s*in.*epoch\s*0/);
    // Step 2 (the partition): the cut is drawn, each side says whom it cannot reach; p1 still reaches broker-1.
    await go(page, 2);
    expect(await page.locator('[data-role="diagram"] .cut-banner').textContent()).toContain('broker-1 | broker-2, broker-3');
    expect(await page.locator('[data-role="diagram"] [data-node="broker-1"] .cut-note').textContent()).toBe('✂ cannot reach broker-2, broker-3');
    expect(await page.locator('[data-role="diagram"] [data-node="broker-2"] .cut-note').textContent()).toBe('✂ cannot reach broker-1');
    expect(await page.locator('[data-role="diagram"] [data-flow="p1"]').getAttribute('class')).toBe('flow busy');
    await go(page, 3);
    expect(await page.locator('[data-role="diagram"] .cut-banner').count()).toBe(1);
    // Step 4: healed; broker-1 is down; broker-2 leads with epoch 1; broker-1 is out of the ISR.
    await go(page, 4);
    expect(await page.locator('[data-role="diagram"] .cut-banner').count()).toBe(0);
    expect(await page.locator('[data-role="diagram"] [data-node="broker-1"]').getAttribute('data-status')).toBe('down');
    expect(await page.locator('[data-role="diagram"] [data-node="broker-2"] [data-strip="orders-0"]').textContent()).toMatch(/leader.*epoch\s*1/);
    expect(await page.locator('[data-role="diagram"] [data-node="broker-1"] [data-strip="orders-0"]').textContent()).toMatch(/ISR\s*out/);
    // The fault bands so far: the partition (5-12 s) and broker-1's crash.
    expect(await page.locator('[data-role="timeline"] .band').evaluateAll((bands) => bands.map((b) => b.getAttribute('data-fault')))).toEqual([expect.stringMatching(/^partition broker-1 \| broker-2, broker-3$/), 'crash broker-1']);
    expect(await page.locator('[data-role="timeline"] .tick').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('[data-role="timeline"] .tl-step').count()).toBe(4);
    // The inspector at step 1: the record is not sent yet.
    await go(page, 1);
    await page.locator('#inspect-toggle').click();
    let result = await inspect(page, lost);
    expect(await page.locator('#inspector-verdict').textContent()).toBe('unsent');
    // At step 3 (the crash): acknowledged by broker-1 in a Produce with acks=1; nothing says lost yet.
    await go(page, 3);
    result = await inspect(page, lost);
    let text = fold((await result.textContent()) ?? '');
    expect(text).toContain(`Produce request (acks=1)`);
    expect(text).toContain('broker-1 acknowledged the send to p1');
    expect(text).toContain('crash broker-1 at 10.000 s');
    expect(await page.locator('#inspector-verdict').textContent()).toBe('pending');
    expect(text).toContain('acknowledged, not delivered yet');
    expect(await page.locator('[data-role="inspector"] .inspect-summary').textContent()).toContain('once the last answer is revealed');
    // After the last answer: the summary lists the lost records; clicking one shows its verdict.
    await go(page, run.steps.length);
    await page.locator('#inspect-close').click();
    await page.locator('[data-role="reveal"]').click();
    await page.locator('#inspect-toggle').click();
    const chips = page.locator('[data-role="inspector"] .chip.lost');
    expect(await page.locator('[data-role="inspector"] .inspect-summary').textContent()).toContain(`Lost: acknowledged, never delivered (${run.result.counts.lostAcked})`);
    await chips.first().click();
    expect(await page.locator('#inspector-verdict').textContent()).toBe('lost');
    text = fold((await result.textContent()) ?? '');
    expect(text).toContain('never delivered');
    expect(await page.locator('#counts').textContent()).toContain(`${run.result.counts.lostAcked} lost`);
    await page.close();
  });

  it('RabbitMQ: queues with ready/unacked counts and consumers; the inspector explains an autoAck loss and a redelivery', async () => {
    const { run, page } = await open('rabbitmq-autoack-loss.yaml');
    await go(page, 1);
    const manual = page.locator('[data-role="diagram"] [data-node="rabbit-1"] [data-strip="manual"]');
    expect(fold((await manual.textContent()) ?? '')).toMatch(/ready\s*\d+\s*unacked\s*20\s*consumer\s*manual-c1 \(prefetch 20\)/);
    expect(await page.locator('[data-role="diagram"] [data-node="rabbit-1"] [data-strip="auto"]').textContent()).toContain('auto-c1 (autoAck)');
    await go(page, run.steps.length);
    await page.locator('[data-role="reveal"]').click();
    await page.locator('#inspect-toggle').click();
    const lost = page.locator('[data-role="inspector"] .chip.lost').first();
    const id = (await lost.textContent())!;
    expect(id).toMatch(/^p-auto-/);
    await lost.click();
    const result = page.locator('[data-role="inspector"] .inspect-result');
    let text = fold((await result.textContent()) ?? '');
    expect(text).toContain('basic.publish');
    expect(text).toMatch(/rabbit-1 delivers it to auto-c1 \(basic.deliver\)/);
    expect(text).toMatch(/crash auto-c1 at 5\.000 s/);
    // The cause points at its band on the timeline.
    await page.locator('[data-role="inspector"] .cause').first().click();
    expect(await page.locator('[data-role="timeline"] .band.flash').getAttribute('data-fault')).toBe('crash auto-c1');
    await page.locator('[data-role="inspector"] .chip.dup').first().click();
    expect(await page.locator('#inspector-verdict').textContent()).toBe('duplicated');
    text = fold((await result.textContent()) ?? '');
    expect(text).toContain('redelivered=true');
    expect(text).toMatch(/crash manual-c1 at 5\.000 s/);
    await page.close();
  });

  it('RocketMQ: commit log and consume queues with owners; the inspector follows a message lost to an async flush', async () => {
    const { run, page } = await open('rocketmq-async-flush-loss.yaml');
    await go(page, 3);
    const broker = page.locator('[data-role="diagram"] [data-node="broker-a-0"]');
    expect(fold((await broker.textContent()) ?? '')).toMatch(/master.*commit log.*max offset\s*\d+.*recovered to\s*\d+/);
    // Its consume queues, with their max and consumed offsets (as strips, or as a table when space is short).
    expect(await broker.locator('[data-strip="TopicTest:0"]').count()).toBe(1);
    expect(fold((await broker.textContent()) ?? '')).toMatch(/TopicTest:0.*TopicTest:3/);
    expect(fold((await broker.textContent()) ?? '')).toMatch(/max.*consumed/);
    await go(page, run.steps.length);
    if (await page.locator('[data-role="reveal"]').isEnabled()) await page.locator('[data-role="reveal"]').click();
    expect(fold((await broker.textContent()) ?? '')).toMatch(/→ billing-c\d/);
    await page.locator('#inspect-toggle').click();
    await page.locator('[data-role="inspector"] .chip.lost').first().click();
    const text = fold((await page.locator('[data-role="inspector"] .inspect-result').textContent()) ?? '');
    expect(text).toMatch(/p1 sends it to broker-a-0, queue \d \(SEND_MESSAGE\)/);
    expect(text).toContain('broker-a-0 acknowledged the send');
    expect(text).toMatch(/crash broker-a-0 at 10\.000 s/);
    await page.close();
  });

  it('the glossary explains a term on hover and on focus', async () => {
    const { page } = await open('kafka-acks-1-leader-failover.yaml');
    await go(page, 1);
    const isr = page.locator('[data-role="narration"] .term[data-term="ISR"]').first();
    await isr.hover();
    expect(await page.locator('#tip').isVisible()).toBe(true);
    expect(await page.locator('#tip').textContent()).toContain('In-sync replicas');
    await page.mouse.move(5, 700);
    expect(await page.locator('#tip').isVisible()).toBe(false);
    await page.locator('[data-role="question"] .term').first().focus();
    expect(await page.locator('#tip').isVisible()).toBe(true);
    await page.close();
  });
});
