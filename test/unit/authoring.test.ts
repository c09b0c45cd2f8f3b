import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STARTERS } from '../../cli/init-command.js';
import type { Explanation } from '../../cli/explain-command.js';
import { loadScenarioFile } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { mqsim } from '../cli-helpers.js';

describe('mqsim init', () => {
  it('writes a commented starter per system that validates, runs and meets its own expectations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-init-'));
    for (const system of Object.keys(STARTERS)) {
      const r = await mqsim(['init', system], dir);
      expect(r.code, r.stderr).toBe(0);
      const file = join(dir, `${system}.mqsim.yaml`);
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=\S*mqsim\.schema\.json\n# An mqsim scenario/);
      expect(text.split('\n').filter((l) => /^\s*#|\s#\s/.test(l)).length).toBeGreaterThan(5);
      const scenario = loadScenarioFile(file, { file: `${system}.mqsim.yaml` });
      expect(scenario.system).toBe(system);
      const result = simulate(scenario);
      expect(result.passed, `${system}: ${JSON.stringify(result.expectations)}`).toBe(true);
    }
  });

  it('never overwrites without --force; prints with --out -; refuses an unknown system', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-init-'));
    writeFileSync(join(dir, 'kafka.mqsim.yaml'), 'mine');
    const again = await mqsim(['init'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('kafka.mqsim.yaml exists');
    expect(readFileSync(join(dir, 'kafka.mqsim.yaml'), 'utf8')).toBe('mine');
    expect((await mqsim(['init', '--force'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'kafka.mqsim.yaml'), 'utf8')).toContain('system: kafka');
    const printed = await mqsim(['init', 'rabbitmq', '--out', '-'], dir);
    expect(printed.stdout).toContain('system: rabbitmq');
    const bad = await mqsim(['init', 'nats'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are kafka, rabbitmq, rocketmq, demo/);
  });
});

describe('mqsim explain', () => {
  it('shows each config with the value that applies and where it came from: the file with line:col, or the default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-explain-'));
    expect((await mqsim(['init', 'kafka'], dir)).code).toBe(0);
    const r = await mqsim(['explain', 'kafka.mqsim.yaml', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Explanation;
    const lines = readFileSync(join(dir, 'kafka.mqsim.yaml'), 'utf8').split('\n');
    const acks = e.settings.find((s) => s.key === 'acks')!;
    expect(acks).toMatchObject({ value: 'all', path: 'workload.producers[0].config' });
    const [, line, col] = /^kafka\.mqsim\.yaml:(\d+):(\d+)$/.exec(acks.source)!;
    expect(lines[Number(line) - 1]!.slice(Number(col) - 1)).toMatch(/^acks: all/);
    expect(e.settings.find((s) => s.key === 'min.insync.replicas')).toMatchObject({ value: 2, path: 'cluster.config' });
    expect(e.settings.find((s) => s.key === 'brokers')).toMatchObject({ value: 3, path: 'cluster' });
    expect(e.settings.find((s) => s.key === 'replica.lag.time.max.ms')).toEqual({ key: 'replica.lag.time.max.ms', value: 30000, source: 'Kafka 3.x default' });
    expect(e.run.find((s) => s.key === 'sampleEvery')).toMatchObject({ value: '1s', source: 'default (1s)' });
    expect(e.run.find((s) => s.key === 'drain')!.source).toMatch(/^kafka\.mqsim\.yaml:\d+:1$/);
    expect(e.cluster.some((c) => /producer p1 -> orders: acks=all/.test(c))).toBe(true);
    expect(e.faults).toEqual(['10s  crash leader-of orders-0', '20s  restart broker-1']);
    const text = await mqsim(['explain', 'kafka.mqsim.yaml'], dir);
    expect(text.stdout).toMatch(/config set by the file:\n(  .*\n)*  acks +all +kafka\.mqsim\.yaml:\d+:\d+ \(workload\.producers\[0\]\.config\)/);
    expect(text.stdout).toContain('config left at its default:');
  });

  it('explains a shipped scenario of every system; a bad file gets file:line:col and exit 2', async () => {
    for (const file of ['scenarios/rabbitmq/manual-ack-consumer-crash.yaml', 'scenarios/rocketmq/async-flush-crash-loses-acked.yaml', 'scenarios/demo/ack-before-fsync-crash.yaml']) {
      const r = await mqsim(['explain', file]);
      expect(r.code, file).toBe(0);
      expect(r.stdout).toContain('as built:');
    }
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-explain-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: x\nsystem: kafka\nduration: 10s\nclustr: {}\n');
    const bad = await mqsim(['explain', 'bad.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:4:1: .*clustr/);
  });
});
