import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { progressBar, type CliIo } from '../../cli/commands.js';
import { terminalSafe } from '../../cli/terminal.js';
import { answerProblem, playDrill, wrap, type DrillIo } from '../../drill/terminal.js';
import { runDrill } from '../../drill/engine.js';
import { loadScenario } from '../../models/scenario.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * Issue #21, one regression test per finding: every mistake ends in a clear exit 2 or a bounded
 * run, nothing is written outside where it was told, nothing runs away.
 */

const STEADY = join(REPO_ROOT, 'scenarios/demo/steady-state.yaml');
const BASE = 'name: x\nsystem: demo\nduration: 10s\n';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'mqsim-hostile-'));
}

function file(text: string, name = 'case.yaml'): string {
  const path = join(dir(), name);
  writeFileSync(path, text);
  return path;
}

/** The real command line, in this process, with a terminal or not. */
async function mqsim(argv: string[], options: { tty?: boolean; cwd?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    env: { NO_COLOR: '1' },
    cwd: options.cwd ?? REPO_ROOT,
    exitCode: 0,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('bounds in the schema, first pass', () => {
  it('rate: 0/s is refused (it made a producer without count send forever at t=0)', async () => {
    const { code, stderr } = await mqsim(['run', file(`${BASE}workload:\n  producers: [{ id: p1, rate: 0/s }]\n`)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/case\.yaml:5:31: workload\.producers\[0\]\.rate: rate "0\/s" must be above 0/);
  });

  it('a duration of 10^21 s, 2^32 keys, 2^31 partitions, 10^6 brokers, 10^6 consumers: each named with its bound, all in one pass', async () => {
    const text = 'name: x\nsystem: kafka\nduration: 999999999999999999999s\ncluster: { brokers: 1000000 }\n'
      + 'topics: [{ name: orders, partitions: 2147483648 }]\n'
      + 'workload:\n  producers: [{ id: p1, rate: 10/s, keys: 4294967296 }]\n  consumers: [{ group: g, count: 1000000, mode: subscribe }]\n';
    const { code, stderr } = await mqsim(['validate', file(text)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/:3:11: duration: duration "999999999999999999999s" is longer than the longest allowed, 365d/);
    expect(stderr).toMatch(/cluster\.brokers: at most 1,000 nodes of one kind/);
    expect(stderr).toMatch(/topics\[0\]\.partitions: at most 100,000/);
    expect(stderr).toMatch(/workload\.producers\[0\]\.keys: at most 2147483647/);
    expect(stderr).toMatch(/workload\.consumers\[0\]\.count: at most 10,000 consumers in one group/);
  });

  it('a mapping of 100,000 unknown keys is refused by its bound before any per-key work (validation was quadratic: over 120 s; timings in npm run bench:validate)', async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `    k${i}: 1`).join('\n');
    const { code, stderr } = await mqsim(['validate', file(`${BASE}cluster:\n  config:\n${keys}\n`)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cluster\.config: 100,000 keys in one mapping; at most 10,000/);
  });

  it('9,999 unknown keys: at most 100 problems printed, the rest counted once', async () => {
    const keys = Array.from({ length: 9_999 }, (_, i) => `    k${i}: 1`).join('\n');
    const { code, stderr } = await mqsim(['validate', file(`${BASE}cluster:\n  config:\n${keys}\n`)]);
    expect(code).toBe(2);
    expect(stderr.match(/unknown key/g)).toHaveLength(100);
    expect(stderr).toMatch(/\.\.\. and 9899 more problems \(fix these first\)/);
  });

  it('keys: 4294967296 is refused; 2^31 - 1 keys validate and run without allocating them', async () => {
    expect((await mqsim(['validate', file(`${BASE}workload:\n  producers: [{ id: p1, rate: 10/s, keys: 4294967296 }]\n`)])).code).toBe(2);
    const { code } = await mqsim(['run', file(`${BASE}workload:\n  producers: [{ id: p1, rate: 10/s, keys: 2147483647 }]\n  consumers: [{ group: g }]\nexpect: { sent: 100 }\n`), '--quiet']);
    expect(code).toBe(0);
  });

  it('limits certain to trip are refused before the run (maxEvents below the messages sent); maxTime is no key (a run ends at duration + drain)', async () => {
    const { code, stderr } = await mqsim(['run', file(`${BASE}workload:\n  producers: [{ id: p1, rate: 100/s }]\nlimits: { maxEvents: 1 }\n`)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/limits\.maxEvents: maxEvents 1 is below the 1000 messages the producers send/);
    const maxTime = await mqsim(['run', file(`${BASE}workload:\n  producers: [{ id: p1, rate: 100/s }]\nlimits: { maxTime: 5s }\n`)]);
    expect(maxTime.code).toBe(2);
    expect(maxTime.stderr).toMatch(/limits\.maxTime: unknown key "maxTime"/);
  });
});

describe('the cost estimate and the message budget', () => {
  it('100 producers x 100k/s x 1 h is refused with the estimate and how to raise the budget', async () => {
    const producers = Array.from({ length: 100 }, (_, i) => `    - { id: p${i}, rate: 100000/s }`).join('\n');
    const { code, stderr } = await mqsim(['run', file(`name: x\nsystem: demo\nduration: 1h\nworkload:\n  producers:\n${producers}\n`)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/about 36,000,000,000 messages/);
    expect(stderr).toMatch(/over the budget of 50,000,000 messages/);
    expect(stderr).toMatch(/limits\.maxMessages in the file or --max-messages on the command line/);
  });

  it('--max-messages and limits.maxMessages raise or lower it; --explain and validate --verbose print the estimate', async () => {
    const text = `${BASE}workload:\n  producers: [{ id: p1, rate: 100/s }]\n  consumers: [{ group: g }]\n`;
    expect((await mqsim(['run', file(text), '--max-messages', '500', '--quiet'])).code).toBe(2);
    expect((await mqsim(['run', file(`${text}limits: { maxMessages: 500 }\n`), '--quiet'])).code).toBe(2);
    const explained = await mqsim(['run', file(text), '--explain', '--quiet', '--max-messages', '1000']);
    expect(explained.code).toBe(0);
    expect(explained.stderr).toMatch(/about 1,000 messages, 1,000 deliveries, [\d,]+ events over 40s of virtual time/);
    const verbose = await mqsim(['validate', '--verbose', file(text)]);
    expect(verbose.stdout).toMatch(/cost: about 1,000 messages/);
  });

  it('a run whose producers send more than the budget at run time is stopped with exit 2 (the estimate cannot see a count it was not given)', async () => {
    // RabbitMQ's outbox resends: the estimate counts first sends; the run-time guard counts every send.
    const { simulate } = await import('../../models/simulate.js');
    const { GuardError } = await import('../../sim/kernel.js');
    const scenario = loadScenario(`${BASE}workload:\n  producers: [{ id: p1, rate: 1000/s }]\n  consumers: [{ group: g }]\n`);
    expect(() => simulate(scenario, { maxMessages: 5000 })).toThrow(GuardError);
    try {
      simulate(scenario, { maxMessages: 5000 });
    } catch (error) {
      expect((error as InstanceType<typeof GuardError>).limit).toBe('maxMessages');
    }
  });
});

describe('progress by wall-clock time', () => {
  it('on a TTY: virtual time, events, messages, rate and ETA, redrawn at most every 250 ms; nothing in the first second', () => {
    let out = '';
    let now = 0;
    const io = { stderrIsTTY: true, stderr: (s: string) => void (out += s) } as unknown as CliIo;
    const bar = progressBar(io, 'demo', { messages: 1000, deliveries: 1000, events: 10_000, virtualTime: 40_000_000 }, () => now)!;
    bar.update({ now: 1_000_000, end: 40_000_000, events: 100, sent: 10 });
    expect(out).toBe('');
    now = 2000;
    bar.update({ now: 20_000_000, end: 40_000_000, events: 5000, sent: 500 });
    expect(out).toMatch(/demo 20\.000s\/40\.000s {2}5000 events {2}500 messages {2}2500 events\/s {2}ETA 2s/);
    const drawn = out;
    now = 2100;
    bar.update({ now: 21_000_000, end: 40_000_000, events: 6000, sent: 600 });
    expect(out).toBe(drawn);
  });

  it('never on a pipe, never with --json', async () => {
    expect(progressBar({ stderrIsTTY: false } as CliIo, 'x', { messages: 1, deliveries: 1, events: 1, virtualTime: 1 })).toBeNull();
    const { stderr } = await mqsim(['run', STEADY, '--json'], { tty: true });
    expect(stderr).toBe('');
  });
});

describe('output paths checked before the work starts', () => {
  it('--trace into a missing folder creates it; --trace into a path through a file is exit 2', async () => {
    const out = join(dir(), 'new', 'deeper', 'run.jsonl');
    expect((await mqsim(['run', STEADY, '--trace', out, '--quiet'])).code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const { code, stdout, stderr } = await mqsim(['run', STEADY, '--trace', '/dev/null/x.jsonl']);
    expect(code).toBe(2);
    expect(stdout).toBe(''); // refused before running
    expect(stderr).toMatch(/--trace \/dev\/null\/x\.jsonl: cannot write there \(a part of the path is a file, not a folder\)/);
  });

  it('compare --out (or --html) a folder, check --out through a file, drill --html a folder: exit 2 before any run', async () => {
    const folder = dir();
    const compare = await mqsim(['compare', 'scenarios/compare/demo-ack-modes.yaml', '--out', folder]);
    expect(compare.code).toBe(2);
    expect(compare.stdout).toBe('');
    expect(compare.stderr).toMatch(/--out .*: is a folder; give a file name/);
    expect((await mqsim(['compare', 'scenarios/compare/demo-ack-modes.yaml', '--html', folder])).stderr).toMatch(/--html .*: is a folder/);
    const check = await mqsim(['check', 'scenarios/properties/demo-ack-before-fsync.yaml', '--out', '/dev/null/x', '--workers', '1']);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/--out \/dev\/null\/x: cannot write there/);
    expect((await mqsim(['drill', 'scenarios/drills/demo-ack-before-fsync.yaml', '--html', folder])).code).toBe(2);
  });

  it('--report /dev/full (a write that fails at the end) is exit 2 with the reason, not an internal error', async () => {
    const { code, stderr } = await mqsim(['run', STEADY, '--report', '/dev/full', '--quiet']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot write \/dev\/full: no space left on the device/);
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('--html is the HTML flag of run and compare (the old names stay as aliases)', async () => {
    const out = join(dir(), 'run.html');
    expect((await mqsim(['run', STEADY, '--html', out, '--quiet'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/<html/);
  });
});

describe('merge never writes outside --out', () => {
  const report = (property: string, yaml = 'name: x\nsystem: demo\nduration: 1s\n', extra: Record<string, unknown> = {}) => JSON.stringify({
    file: 'x', scenario: 'x', system: 'demo', seed: 1, runs: 1, shard: { index: 1, count: 1 }, properties: 'p', runsDone: 1, firstFailure: 0,
    counterexample: { index: 0, property, message: 'm', yaml, faults: [], traceHash: '0', shrinkSteps: 0 },
    coverage: { kinds: {}, roles: {} }, perRun: [{ index: 0, ok: false, kinds: [], roles: [] }], wallMs: 1, runsPerSecond: 1, ...extra,
  });

  it('a crafted property name ("../../../../PWNED") is written inside --out under a sanitised name', async () => {
    const root = dir();
    const out = join(root, 'a', 'b', 'out');
    mkdirSync(out, { recursive: true });
    const shard = join(root, 'shard.json');
    writeFileSync(shard, report('../../../../PWNED'));
    const { code, stdout } = await mqsim(['merge', shard, '--out', out]);
    expect(code).toBe(1);
    expect(readdirSync(out)).toEqual(['counterexample-PWNED.yaml']);
    expect(readdirSync(root).sort()).toEqual(['a', 'shard.json']);
    expect(stdout).toMatch(/counterexample written to .*out\/counterexample-PWNED\.yaml/);
  });

  it('a shard report that is not a check report, or whose counterexample is not a scenario, is refused', async () => {
    const root = dir();
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ hello: 'world' }));
    const shape = await mqsim(['merge', bad, '--out', root]);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(/bad\.json: not a report of mqsim check --json/);
    writeFileSync(bad, report('p', 'rm -rf /'));
    const notScenario = await mqsim(['merge', bad, '--out', root]);
    expect(notScenario.code).toBe(2);
    expect(notScenario.stderr).toMatch(/counterexample is not a valid scenario/);
    writeFileSync(bad, 'not json');
    expect((await mqsim(['merge', bad])).stderr).toMatch(/not JSON/);
    expect(readdirSync(root)).toEqual(['bad.json']);
  });
});

describe('terminal output', () => {
  it('terminalSafe escapes control characters and foreign escape sequences, keeps line breaks, tabs and our own colours', () => {
    expect(terminalSafe('a\u001b]0;PWNED\u0007b\u001b[2Jc\u009bd')).toBe('a\\x1b]0;PWNED\\x07b\\x1b[2Jc\\x9bd');
    expect(terminalSafe('\u001b[1mbold\u001b[0m\n\tok\r\u001b[2K')).toBe('\u001b[1mbold\u001b[0m\n\tok\r\u001b[2K');
  });

  it('a description or a key with escape sequences is refused, and nothing of them reaches the terminal raw', async () => {
    const text = 'name: x\nsystem: demo\ndescription: "\\e]0;PWNED\\a\\e[2J"\nduration: 10s\n"\\e]8;;http://x\\e\\\\": 1\n';
    const { code, stdout, stderr } = await mqsim(['run', file(text)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/description: control character U\+001B in the text/);
    expect(stderr + stdout).not.toMatch(/\u001b/);
    expect(stderr).toMatch(/unknown key "\\x1b\]8;;http:\/\/x\\x1b\\"/);
  });
});

describe('seeds, prototype keys, file errors', () => {
  it('seeds are integers kept exactly: 2^53 and 2^53 + 1 are refused, on the command line and in a file; empty and non-numeric too', async () => {
    for (const seed of ['9007199254740992', '9007199254740993', '', 'abc', '1.5']) {
      const { code, stderr } = await mqsim(['run', STEADY, '--seed', seed]);
      expect(code, seed).toBe(2);
      expect(stderr, seed).toMatch(/--seed/);
    }
    expect((await mqsim(['run', STEADY, '--seed', '9007199254740991', '--quiet'])).code).toBe(0);
    expect((await mqsim(['validate', file(`${BASE}seed: 9007199254740993\n`)])).stderr).toMatch(/seed: at most 2\^53 - 1/);
    expect((await mqsim(['validate', file(`${BASE}seed: banana\n`)])).stderr).toMatch(/seed: expected an integer seed/);
    expect((await mqsim(['check', 'scenarios/properties/demo-ack-before-fsync.yaml', '--seed', '9007199254740993'])).code).toBe(2);
  });

  it('__proto__, constructor and prototype keys are refused everywhere (expect: { __proto__: ... } was silently ignored)', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const { code, stderr } = await mqsim(['validate', file(`${BASE}expect:\n  ${key}: { lostAcked: 0 }\n`)]);
      expect(code, key).toBe(2);
      expect(stderr, key).toMatch(new RegExp(`:5:3: expect\\.${key}: the key "${key}" is not allowed`));
    }
  });

  it('a path is never read as YAML; a folder, a device, UTF-16 and non-UTF-8 files are named as such', async () => {
    expect((await mqsim(['run', 'missing:file.yaml'])).stderr).toMatch(/^missing:file\.yaml:1:1: no such file/);
    expect((await mqsim(['run', dir()])).stderr).toMatch(/is a folder, not a scenario file/);
    expect((await mqsim(['run', '/dev/null'])).stderr).toMatch(/is not a regular file \(a device, a pipe or a socket\)/);
    const utf16 = join(dir(), 'u16.yaml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BASE, 'utf16le')]));
    expect((await mqsim(['run', utf16])).stderr).toMatch(/is UTF-16 text; save it as UTF-8/);
    const binary = join(dir(), 'b.yaml');
    writeFileSync(binary, Buffer.from([0x6e, 0x61, 0xc3, 0x28, 0xff]));
    expect((await mqsim(['run', binary])).stderr).toMatch(/is not UTF-8 text/);
  });

  it('unknown fault targets come with the other problems, at the target, with a did-you-mean', async () => {
    const { stderr } = await mqsim(['validate', file(`${BASE}expect: { lostAked: 0 }\nfaults:\n  - { at: 1s, crash: brokr }\n`)]);
    expect(stderr).toMatch(/:4:11: expect\.lostAked: unknown metric/);
    expect(stderr).toMatch(/:6:22: faults\[0\]\.crash: no node or selector named "brokr" .*\(did you mean "broker"\?\)/);
  });
});

describe('wording', () => {
  it('a compare file given to run points at mqsim compare', async () => {
    const { code, stderr } = await mqsim(['run', 'scenarios/compare/demo-ack-modes.yaml']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/this is a compare file \(it has variants:\), not a scenario: run it with mqsim compare/);
  });

  it('YAML errors speak to the file\'s author, not of the YAML library\'s API', async () => {
    const { stderr } = await mqsim(['validate', file(`${BASE}---\nname: y\n`)]);
    expect(stderr).toMatch(/the file holds more than one YAML document/);
    expect(stderr).not.toMatch(/parseAllDocuments/);
  });
});

describe('the terminal drill', () => {
  const run = runDrill(loadScenario(join(REPO_ROOT, 'scenarios/drills/demo-ack-before-fsync.yaml')));

  function scripted(lines: string[]): { io: DrillIo; output: () => string } {
    let out = '';
    const queue = [...lines];
    return {
      io: { write: (t) => void (out += t), color: false, width: 60, readLine: (prompt) => { out += prompt; return Promise.resolve(queue.length > 0 ? queue.shift()! : null); } },
      output: () => out,
    };
  }

  it('asks again on an out-of-range answer instead of marking it wrong', async () => {
    const { io, output } = scripted(['n', '7', '2', 'q']);
    const score = await playDrill(run, io, { interactive: true });
    expect(output()).toMatch(/answer with a number from 1 to 3/);
    expect(score.answers[0]).toMatchObject({ given: '2', right: true });
  });

  it('--answers with an answer out of range is refused before the drill starts', async () => {
    const { code, stderr } = await mqsim(['drill', 'scenarios/drills/demo-ack-before-fsync.yaml', '--non-interactive', '--answers', '7,505']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--answers: answer 1 is "7"; question 1 \(step 2\): answer with a number from 1 to 3/);
    expect(answerProblem(run.steps[1]!, '3')).toBeNull();
  });

  it('clamps a jump to the run, and n moves on from where the jump landed (it went back)', async () => {
    const { io, output } = scripted(['n', '2', 'j 999h', 'n']);
    await playDrill(run, io, { interactive: true });
    expect(output()).toMatch(/== 50\.000s \(the run ends at 50\.000s\) ==/);
    expect(output()).not.toMatch(/Step 3\/3/); // nothing after the end of the run
    const back = scripted(['n', '2', 'j 6s', 'n', 'q']);
    await playDrill(run, back.io, { interactive: true });
    // From 6 s, the next step is step 2 (10 s) again, not step 3.
    expect(back.output().match(/== Step 2\/3/g)).toHaveLength(2);
  });

  it('wraps narration to the terminal width', () => {
    const text = 'word '.repeat(40).trim();
    expect(wrap(text, 30).split('\n').every((line) => line.length <= 30)).toBe(true);
    expect(wrap(`  - ${text}`, 30).split('\n')[1]).toMatch(/^ {4}word/);
  });
});
