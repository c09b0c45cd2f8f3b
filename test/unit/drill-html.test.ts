import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/commands.js';
import { main } from '../../cli/main.js';
import { runDrill } from '../../drill/engine.js';
import { embedJson, renderDrillHtml } from '../../drill/html.js';
import { loadScenario } from '../../models/scenario.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/** The drill web page's generator: one self-contained file, every scenario text escaped. */
const DRILL = join(REPO_ROOT, 'scenarios/drills/demo-ack-before-fsync.yaml');

function hostile(): string {
  return readFileSync(DRILL, 'utf8')
    .replace(/title: "Acked is not stored[^"]*"/, 'title: "<script>alert(1)</script>"')
    .replace(/title: Steady state/, 'title: "</script><!-- <b>step</b>"')
    .replace(/- Tell the page cache.*/, '- "<img src=x onerror=alert(2)> Tell the page cache"');
}

function dataOf(html: string): Record<string, unknown> {
  const match = /<script type="application\/json" id="drill-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]!) as Record<string, unknown>;
}

describe('drill web page generator', () => {
  const run = runDrill(loadScenario(DRILL));
  const html = renderDrillHtml(run);

  it('is self-contained: no external URL but the SVG namespace, no script src, no stylesheet link', () => {
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink|XML\/1998\/namespace)/.test(u))).toEqual([]);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // Exactly two scripts: the data and the inlined page script.
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html).toContain('<script type="application/json" id="drill-data">');
  });

  it('embeds the run: every trace record, the steps with their answers and explanations, the series', () => {
    const data = dataOf(html);
    expect((data.records as unknown[]).length).toBe(run.records.length);
    expect(data.steps).toEqual(JSON.parse(JSON.stringify(run.steps)));
    expect(Object.keys(data.series as object)).toContain('backlog');
    expect(data.end).toBe(run.result.virtualTime);
  });

  it('escapes a drill titled <script>alert(1)</script> and every other scenario text', () => {
    const evil = renderDrillHtml(runDrill(loadScenario(hostile(), { file: 'hostile.yaml' })));
    expect(evil).not.toContain('<script>alert(1)</script>');
    expect(evil).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(evil).not.toContain('<img src=x');
    // Inside the JSON element: no `</script>` or `<!--` can end or confuse it, and the data parses back.
    const json = /<script type="application\/json" id="drill-data">([\s\S]*?)<\/script>/.exec(evil)![1]!;
    expect(json).not.toMatch(/<\/script|<!--|</i);
    const data = dataOf(evil);
    expect(data.title).toBe('<script>alert(1)</script>');
    expect((data.steps as { title: string }[])[0]!.title).toBe('</script><!-- <b>step</b>');
    expect(evil.match(/<script\b/g)).toHaveLength(2);
  });

  it('embedJson writes <, > and & as \\u escapes that JSON.parse reads back', () => {
    const value = { s: '</script><!-- & \u2028 -->' };
    const text = embedJson(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('mqsim drill FILE --html out.html writes the page and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-drill-html-'));
    let stdout = '';
    const io: CliIo = { stdout: (s) => { stdout += s; }, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: { NO_COLOR: '1' }, cwd: dir, exitCode: 0 };
    expect(await main(['drill', DRILL, '--html', 'out.html'], io)).toBe(0);
    expect(existsSync(join(dir, 'out.html'))).toBe(true);
    expect(readFileSync(join(dir, 'out.html'), 'utf8')).toContain('id="drill-data"');
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
});
