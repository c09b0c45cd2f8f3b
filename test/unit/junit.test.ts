import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJunitSuite, renderJunit, xmlEscape } from '../../reports/junit.js';
import { mqsim } from '../cli-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Case { name: string; classname: string; failure: { message: string; type: string; text: string } | null }

/**
 * Reads a JUnit file with a real XML parser (Python's xml.etree, as CI report tools parse it):
 * a file that is not well-formed XML fails here.
 */
function parseJunit(path: string): { tests: number; failures: number; cases: Case[] } {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
cases = []
for suite in root.findall('testsuite'):
    assert int(suite.get('tests')) == len(suite.findall('testcase'))
    for case in suite.findall('testcase'):
        f = case.find('failure')
        cases.append({'name': case.get('name'), 'classname': case.get('classname'),
                      'failure': None if f is None else {'message': f.get('message'), 'type': f.get('type'), 'text': f.text or ''}})
print(json.dumps({'tests': int(root.get('tests')), 'failures': int(root.get('failures')), 'cases': cases}))
`;
  const run = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`not a JUnit XML file: ${run.stderr}`);
  return JSON.parse(run.stdout) as { tests: number; failures: number; cases: Case[] };
}

const hasPython = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { encoding: 'utf8' }).status === 0;

describe('--junit', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape('a<b>&"c\'\n\u0001')).toBe('a&lt;b&gt;&amp;&quot;c&apos;&#10;\ufffd');
    const xml = renderJunit([{ name: 's<1>', cases: [{ name: 'x"y', classname: 'f', failure: { message: 'm\u001b[31m', type: 'expectation', detail: 'a < b & \u0007' } }] }]);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).toContain('<failure message="m\ufffd[31m" type="expectation">a &lt; b &amp; \ufffd</failure>');
  });

  it('check: one case per property, the failing one naming the counterexample file', () => {
    const suite = checkJunitSuite({
      file: 'p.yaml', scenario: 's', system: 'kafka', seed: 1, runs: 10, runsDone: 4, properties: 'noLostAcked+noDuplicates', firstFailure: 3,
      counterexample: { property: 'noDuplicates', message: '2 duplicates', faults: ['1s crash broker-1'], traceHash: 'abc' },
    }, 'out/counterexample-noDuplicates.yaml');
    expect(suite.cases.map((c) => c.name)).toEqual(['noLostAcked', 'noDuplicates']);
    expect(suite.cases[0]!.failure).toBeUndefined();
    expect(suite.cases[1]!.failure!.message).toBe('noDuplicates fails at run 3; counterexample: out/counterexample-noDuplicates.yaml');
    expect(suite.cases[1]!.failure!.detail).toContain('1s crash broker-1');
  });

  it.skipIf(!hasPython)('run, check and compare write JUnit XML a parser reads, failures with the expectation and the counterexample path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-junit-'));
    // run: two scenarios, one failing its expectation under another seed.
    const run = await mqsim(['run', 'scenarios/demo/steady-state.yaml', 'scenarios/demo/ack-before-fsync-crash.yaml', '--quiet', '--junit', join(dir, 'run.xml'), '--seed', '3']);
    const runXml = parseJunit(join(dir, 'run.xml'));
    expect(runXml.tests).toBe(2);
    expect(runXml.cases.map((c) => c.classname)).toEqual(['scenarios/demo/steady-state.yaml', 'scenarios/demo/ack-before-fsync-crash.yaml']);
    expect(runXml.failures).toBe(runXml.cases.filter((c) => c.failure).length);
    expect(run.code).toBe(runXml.failures > 0 ? 1 : 0);
    for (const c of runXml.cases.filter((x) => x.failure)) expect(c.failure!.message).toMatch(/^expect \w+/);

    // check: the property fails; the counterexample file is named and exists.
    const check = await mqsim(['check', join(ROOT, 'scenarios/properties/demo-ack-before-fsync.yaml'), '--runs', '20', '--workers', '1', '--out', join(dir, 'ce'), '--junit', join(dir, 'check.xml')], dir);
    expect(check.code).toBe(1);
    const checkXml = parseJunit(join(dir, 'check.xml'));
    expect(checkXml.cases).toHaveLength(1);
    expect(checkXml.cases[0]).toMatchObject({ name: 'noLostAcked', failure: { type: 'property' } });
    const path = /counterexample: (\S+\.yaml)$/.exec(checkXml.cases[0]!.failure!.message)![1]!;
    expect(existsSync(resolve(dir, path))).toBe(true);
    expect(checkXml.cases[0]!.failure!.text).toContain('acknowledged message');

    // compare: one case per variant.
    const compare = await mqsim(['compare', 'scenarios/compare/demo-ack-modes.yaml', '--json', '--junit', join(dir, 'compare.xml')]);
    const rows = JSON.parse(compare.stdout) as { variant: string; passed: boolean }[];
    const compareXml = parseJunit(join(dir, 'compare.xml'));
    expect(compareXml.cases.map((c) => c.name)).toEqual(rows.map((r) => r.variant));
    expect(compareXml.cases.map((c) => c.failure === null)).toEqual(rows.map((r) => r.passed));
    expect(readFileSync(join(dir, 'compare.xml'), 'utf8')).toContain('classname="scenarios/compare/demo-ack-modes.yaml"');
  });

  it('an unwritable --junit path is refused before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-junit-'));
    for (const args of [['run', 'scenarios/demo/steady-state.yaml'], ['compare', 'scenarios/compare/demo-ack-modes.yaml'], ['check', 'scenarios/properties/demo-ack-before-fsync.yaml']]) {
      const r = await mqsim([...args, '--junit', dir]);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toMatch(/--junit .*is a folder/);
    }
  });
});
