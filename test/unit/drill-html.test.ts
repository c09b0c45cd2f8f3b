import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/commands.js';
import { main } from '../../cli/main.js';
import { runDrill } from '../../drill/engine.js';
import { renderDrillHtml } from '../../drill/html.js';
import { loadScenario } from '../../models/scenario.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/** The drill web page's generator: one self-contained file carrying the scenario, every scenario text escaped. */
const DRILL = join(REPO_ROOT, 'scenarios/drills/demo-ack-before-fsync.yaml');

function hostile(): string {
  return readFileSync(DRILL, 'utf8')
    .replace(/title: "Acked is not stored[^"]*"/, 'title: "<script>alert(1)</script>"')
    .replace(/title: Steady state/, 'title: "</script><!-- <b>step</b>"')
    .replace(/- Tell the page cache.*/, '- "<img src=x onerror=alert(2)> Tell the page cache"');
}

/** The scenario text the page carries (base64 in a non-executed script element). */
function carried(html: string): string {
  const match = /<script type="application\/octet-stream" id="drill-scenario" data-file="[^"]*">([A-Za-z0-9+/=]*)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return Buffer.from(match![1]!, 'base64').toString('utf8');
}

describe('drill web page generator', () => {
  const run = runDrill(loadScenario(DRILL));
  const html = renderDrillHtml(run);

  it('is self-contained: no external URL in the markup or the style but the SVG namespace, no script src, no stylesheet link', () => {
    // The bundled libraries' code mentions URLs in strings (zod's URL checks); the browser test checks nothing is fetched.
    const markup = html.replace(/<script\b[\s\S]*?<\/script>/g, '');
    const urls = [...markup.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink|XML\/1998\/namespace)/.test(u))).toEqual([]);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(markup).not.toMatch(/@import|url\(/i);
    // Exactly two scripts: the scenario and the page script with the engine and models bundled.
    expect(html.match(/<script\b/g)).toHaveLength(2);
  });

  it('carries the scenario text, not the trace, and weighs well under 2 MB', () => {
    expect(carried(html)).toBe(readFileSync(DRILL, 'utf8'));
    expect(/"kind":\s*"net\./.test(html), 'a trace record in the page').toBe(false);
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
  });

  it('holds no narration, question or explanation as readable text: the page shows them one step at a time', () => {
    for (const step of run.steps) {
      expect(html).not.toContain(step.narration.slice(0, 40));
      if (step.explanation) expect(html).not.toContain(step.explanation.slice(0, 40));
      if (step.question) expect(html).not.toContain(step.question.prompt.slice(0, 40));
    }
  });

  it('has the stable hooks: diagram, narration, question, answer, timeline, inspector, next, prev, reveal, and data-step on the body', () => {
    const markup = html.replace(/<script\b[\s\S]*?<\/script>/g, '');
    for (const role of ['diagram', 'narration', 'question', 'answer', 'timeline', 'inspector', 'next', 'prev', 'reveal']) {
      expect(markup.match(new RegExp(`data-role="${role}"`, 'g')), role).toHaveLength(1);
    }
    expect(html).toContain('<body data-step="0">');
  });

  it('escapes a drill titled <script>alert(1)</script>; the scenario text travels in base64', () => {
    const text = hostile();
    const evil = renderDrillHtml(runDrill(loadScenario(text, { file: 'hostile.yaml' })), text);
    expect(evil).not.toContain('<script>alert(1)</script>');
    expect(evil).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(evil).not.toContain('<img src=x');
    expect(evil).not.toContain('</script><!--');
    expect(carried(evil)).toBe(text);
    expect(evil.match(/<script\b/g)).toHaveLength(2);
  });

  it('mqsim drill FILE --html out.html writes the page and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-drill-html-'));
    let stdout = '';
    const io: CliIo = { stdout: (s) => { stdout += s; }, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: { NO_COLOR: '1' }, cwd: dir, exitCode: 0 };
    expect(await main(['drill', DRILL, '--html', 'out.html'], io)).toBe(0);
    expect(existsSync(join(dir, 'out.html'))).toBe(true);
    expect(carried(readFileSync(join(dir, 'out.html'), 'utf8'))).toBe(readFileSync(DRILL, 'utf8'));
    expect(stdout).toContain('wrote out.html');
    // The page only: the terminal drill does not run.
    expect(stdout).not.toContain('Score:');
  });

  it('mqsim drill --html to an unwritable place says so and exits 2', async () => {
    let stderr = '';
    const io: CliIo = { stdout: () => {}, stderr: (s) => { stderr += s; }, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: REPO_ROOT, exitCode: 0 };
    expect(await main(['drill', DRILL, '--html', join(tmpdir(), 'no-such-dir-mqsim', 'x', 'out.html')], io)).toBe(2);
    expect(stderr).toMatch(/cannot write/);
  });

  it("README's drill count is what scenarios/drills/ ships", () => {
    const shipped = readdirSync(join(REPO_ROOT, 'scenarios/drills')).filter((f) => f.endsWith('.yaml')).length;
    const claimed = /Shipped drills \(`scenarios\/drills\/`, (\d+)\)/.exec(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))?.[1];
    expect(Number(claimed)).toBe(shipped);
  });
});
