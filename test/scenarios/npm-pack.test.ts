import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as users get it: `npm pack` (of the built dist/), installed into an empty folder,
 * then used there — the CLI, the ESM library with its types, the published schema — without the
 * repository. The install must not depend on the network: the folder gets a lockfile made of the
 * repository's (its production packages, same versions and integrity), so `npm ci --offline`
 * takes every tarball from the npm cache that `npm ci` filled; should a package be missing from
 * the cache, `--prefer-offline` fetches only that one.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}

interface LockEntry { dev?: boolean; link?: boolean; [key: string]: unknown }

/** A lockfile for a folder that depends on the tarball only: the repository's production packages. */
export function lockfileFor(tarball: string, name: string): { pkg: object; lock: object } {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: object; bin: object; engines: object; license: string };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name, version: '1.0.0', dependencies: { mqsim: spec } },
    'node_modules/mqsim': { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  }
  return {
    pkg: { name, version: '1.0.0', private: true, type: 'module', dependencies: { mqsim: spec } },
    lock: { name, version: '1.0.0', lockfileVersion: 3, requires: true, packages },
  };
}

describe('npm pack: the package works from an empty folder', () => {
  let app = '';

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-pack-'));
    // dist/ is built by `npm test` before vitest runs; --ignore-scripts keeps pack from rebuilding it.
    const pack = run(NPM, ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, readdirSync(dir).find((f) => /^mqsim-.*\.tgz$/.test(f))!);
    app = join(dir, 'app');
    mkdirSync(app);
    const { pkg, lock } = lockfileFor(tarball, 'mqsim-pack-test');
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    let install = run(NPM, ['ci', '--offline'], app);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) install = run(NPM, ['ci', '--prefer-offline'], app);
    expect(install.status, install.stderr).toBe(0);
  }, 120_000);

  it('runs a shipped scenario with the installed bin', () => {
    const r = run(join(app, 'node_modules', '.bin', 'mqsim'), ['run', 'node_modules/mqsim/scenarios/demo/steady-state.yaml', '--quiet'], app);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^PASS node_modules\/mqsim\/scenarios\/demo\/steady-state\.yaml [0-9a-f]{16} \d+ events\n$/);
    // npx finds the installed bin (no download); a scenarios/ path not in the folder is a shipped one.
    const npx = run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--no-install', 'mqsim', 'run', 'scenarios/demo/ack-before-fsync-crash.yaml', '--quiet'], app);
    expect(npx.stdout, npx.stderr).toMatch(/^PASS scenarios\/demo\/ack-before-fsync-crash\.yaml /);
    const list = run(process.execPath, [join(app, 'node_modules', 'mqsim', 'dist', 'cli', 'main.js'), 'list'], app);
    expect(list.stdout).toContain('steady-state.yaml');
  });

  it('imports { simulate, loadScenario } from mqsim as ESM, with its types, and resolves mqsim/schema.json', () => {
    const script = [
      "import { simulate, loadScenario } from 'mqsim';",
      "import { createRequire } from 'node:module';",
      "import { readFileSync } from 'node:fs';",
      "const path = createRequire(import.meta.url).resolve('mqsim/scenarios/demo/steady-state.yaml');",
      'const r = simulate(loadScenario(path), { seed: 7 });',
      "const schema = JSON.parse(readFileSync(new URL(import.meta.resolve('mqsim/schema.json')), 'utf8'));",
      'console.log(JSON.stringify({ passed: r.passed, sent: r.counts.sent > 0, hash: r.traceHash, id: schema.$id }));',
    ].join('\n');
    writeFileSync(join(app, 'use.mjs'), script);
    const r = run(process.execPath, ['use.mjs'], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: true, sent: true, id: 'https://json.schemastore.org/mqsim.json' });

    writeFileSync(join(app, 'typed.ts'), [
      "import { simulate, loadScenario, type RunResult } from 'mqsim';",
      "const result: RunResult = simulate(loadScenario('x.yaml'), { seed: 1 });",
      'const lost: number = result.counts.lostAcked ?? 0;',
      'const p99: number | null = result.latency.p99;',
      'export { lost, p99 };',
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['typed.ts'] }));
    const tsc = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('ships what it needs and nothing of the repository\'s tests; conformance says plainly what it lacks', () => {
    const root = join(app, 'node_modules', 'mqsim');
    for (const file of ['dist/cli/main.js', 'dist/index.d.ts', 'dist/schema.json', 'scenarios/mqsim.schema.json', 'package.json']) expect(existsSync(join(root, file)), file).toBe(true);
    expect(existsSync(join(root, 'test'))).toBe(false);
    const r = run(join(app, 'node_modules', '.bin', 'mqsim'), ['conformance'], app);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('conformance needs the AMQP client library amqplib');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
