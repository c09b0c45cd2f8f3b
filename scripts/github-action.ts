import '../scenario-sections.js';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../cli/commands.js';
import { main } from '../cli/main.js';
import { writeOutput } from '../cli/outputs.js';

/**
 * The script behind the GitHub Actions action (action.yml at the repository root): runs
 * `mqsim check` on each given file, or `mqsim run` on all of them, writes one JUnit XML file and
 * leaves the counterexample scenarios in one folder for the action's upload step. Its inputs
 * come as the environment variables the action sets (INPUT_COMMAND, INPUT_FILES, INPUT_JUNIT,
 * INPUT_OUT, INPUT_RUNS, INPUT_SEED, INPUT_ARGS); it writes `junit`, `counterexamples` and
 * `exit-code` to $GITHUB_OUTPUT when set. Its exit code is the worst of the commands' (0 all
 * held, 1 an expectation or property failed, 2 a bad file or input, 3 a bug in mqsim).
 */

export interface ActionInputs {
  command: 'check' | 'run';
  files: string[];
  junit: string;
  out: string;
  runs?: string;
  seed?: string;
  args: string[];
}

export class ActionInputError extends Error {}

export function readInputs(env: Record<string, string | undefined>): ActionInputs {
  const command = (env.INPUT_COMMAND ?? 'check').trim() || 'check';
  if (command !== 'check' && command !== 'run') throw new ActionInputError(`input command: "check" or "run", not ${JSON.stringify(command)}`);
  const files = (env.INPUT_FILES ?? '').split(/[\s]+/).filter((f) => f.length > 0);
  if (files.length === 0) throw new ActionInputError('input files: give the scenario files (or globs) to run, one per line');
  const inputs: ActionInputs = {
    command,
    files,
    junit: (env.INPUT_JUNIT ?? '').trim() || 'mqsim-results.xml',
    out: (env.INPUT_OUT ?? '').trim() || 'mqsim-counterexamples',
    args: (env.INPUT_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0),
  };
  if (env.INPUT_RUNS?.trim()) inputs.runs = env.INPUT_RUNS.trim();
  if (env.INPUT_SEED?.trim()) inputs.seed = env.INPUT_SEED.trim();
  return inputs;
}

/** `*` (within a folder), `**` (any folders), `?`: the globs a workflow writes (Node 20 has no fs.glob). */
export function expandGlob(pattern: string, cwd: string): string[] {
  if (!/[*?]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  const fixed: string[] = [];
  while (parts.length > 0 && !/[*?]/.test(parts[0]!)) fixed.push(parts.shift()!);
  const base = fixed.join('/') || '.';
  const source = parts
    .map((part) => (part === '**' ? '(?:[^/]+/)*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '/'))
    .join('')
    .replace(/\/$/, '');
  const matcher = new RegExp(`^${source}$`);
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: string[];
    try {
      entries = readdirSync(join(cwd, dir)).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry}` : entry;
      const full = join(cwd, dir, entry);
      if (statSync(full).isDirectory()) walk(join(dir, entry), relPath);
      else if (matcher.test(relPath)) found.push(base === '.' ? relPath : `${base}/${relPath}`);
    }
  };
  walk(base, '');
  return found;
}

/** Several JUnit documents (mqsim's own) as one: their test suites side by side, totals added. */
export function mergeJunit(documents: string[]): string {
  const suites = documents.flatMap((doc) => doc.match(/  <testsuite [\s\S]*?<\/testsuite>\n/g) ?? []);
  const count = (attr: string) => suites.reduce((n, s) => n + Number(new RegExp(`<testsuite [^>]*?${attr}="(\\d+)"`).exec(s)?.[1] ?? 0), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mqsim" tests="${count('tests')}" failures="${count('failures')}" errors="0">\n${suites.join('')}</testsuites>\n`;
}

export async function runAction(env: Record<string, string | undefined>, cwd: string, log: (text: string) => void): Promise<number> {
  const io: CliIo = {
    stdout: log,
    stderr: log,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: { ...env, NO_COLOR: '1' },
    cwd,
    exitCode: 0,
  };
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env);
  } catch (error) {
    if (!(error instanceof ActionInputError)) throw error;
    log(`mqsim action: ${error.message}\n`);
    return 2;
  }
  const files = inputs.files.flatMap((pattern) => {
    const matched = expandGlob(pattern, cwd);
    if (matched.length === 0) log(`mqsim action: no file matches ${pattern}\n`);
    return matched;
  });
  if (files.length === 0) return 2;
  const work = join(cwd, inputs.out, '.junit');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const junitParts: string[] = [];
  let worst = 0;
  const record = (code: number) => {
    worst = Math.max(worst, code);
  };
  if (inputs.command === 'run') {
    const part = join(work, 'run.xml');
    const args = ['run', ...files, '--quiet', '--junit', part, ...inputs.args];
    if (inputs.seed) args.push('--seed', inputs.seed);
    log(`$ mqsim ${args.join(' ')}\n`);
    record(await main(args, io));
    if (existsSync(part)) junitParts.push(readFileSync(part, 'utf8'));
  } else {
    for (const [i, file] of files.entries()) {
      const part = join(work, `check-${i}.xml`);
      // Each check writes counterexample-<property>.yaml: one folder per file keeps them apart.
      const dir = files.length > 1 ? join(inputs.out, file.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9._-]+/g, '_')) : inputs.out;
      const args = ['check', file, '--out', dir, '--junit', part, ...inputs.args];
      if (inputs.runs) args.push('--runs', inputs.runs);
      if (inputs.seed) args.push('--seed', inputs.seed);
      log(`$ mqsim ${args.join(' ')}\n`);
      record(await main(args, io));
      if (existsSync(part)) junitParts.push(readFileSync(part, 'utf8'));
    }
  }
  rmSync(work, { recursive: true, force: true });
  writeOutput(inputs.junit, resolve(cwd, inputs.junit), mergeJunit(junitParts));
  const counterexamples = listCounterexamples(join(cwd, inputs.out)).map((p) => relative(cwd, p));
  log(`mqsim action: wrote ${inputs.junit}; ${counterexamples.length} counterexample file${counterexamples.length === 1 ? '' : 's'}${counterexamples.length ? `: ${counterexamples.join(', ')}` : ''}\n`);
  if (env.GITHUB_OUTPUT) {
    appendFileSync(env.GITHUB_OUTPUT, `junit=${inputs.junit}\ncounterexamples=${counterexamples.length}\nexit-code=${worst}\n`);
  }
  return worst;
}

function listCounterexamples(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...listCounterexamples(path));
    else if (/^counterexample-.*\.yaml$/.test(entry)) found.push(path);
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAction(process.env, process.cwd(), (t) => process.stdout.write(t)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mqsim action: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 3;
    },
  );
}
