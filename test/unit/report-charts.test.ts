import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompare, runComparison } from '../../models/compare.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { PALETTE, FAULT_COLOUR } from '../../reports/charts.js';
import { compareCharts } from '../../reports/compare-report.js';
import { comparisonFacts } from '../../reports/comparison.js';
import { inFlightSeries, systemLagSeries } from '../../reports/facts.js';
import { runCharts } from '../../reports/run-report.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The fault rules a time-series spec draws: the x values of its rule layer. */
function ruleSeconds(spec: unknown): number[] {
  const layers = (spec as { layer: { mark: { type: string }; data?: { values: { seconds: number; label?: string }[] } }[] }).layer;
  // Fault rules carry a label; the hover readout's rule (drawn over the series' own points) does not.
  return layers.filter((l) => l.mark.type === 'rule' && l.data!.values.every((v) => v.label !== undefined)).flatMap((l) => l.data!.values.map((v) => v.seconds));
}

/** The fault bands a time-series spec draws: [from, until] of each rect. */
function bandSeconds(spec: unknown): [number, number][] {
  const layers = (spec as { layer: { mark: { type: string }; data?: { values: { seconds: number; until: number }[] } }[] }).layer;
  return layers.filter((l) => l.mark.type === 'rect').flatMap((l) => l.data!.values.map((v): [number, number] => [v.seconds, v.until]));
}

describe('in-flight and lag charts', () => {
  it('in flight: the sends awaiting an answer, 0 before a producer is cut off, its request.timeout worth of sends while cut off, 0 after the heal', () => {
    // demo-partition-timeouts: p1 (50/s, request.timeout 1s) is cut off from 5s to 9s.
    const result = simulate(loadScenario(join(ROOT, 'scenarios/demo/partition-timeouts.yaml')));
    const points = inFlightSeries(result)!;
    const at = (s: number) => points.find((p) => p.seconds === s)!.value;
    for (const s of [1, 2, 3, 4]) expect(at(s), `${s}s`).toBe(0);
    for (const s of [6, 7, 8]) expect(at(s), `${s}s`).toBeGreaterThanOrEqual(45);
    for (const s of [6, 7, 8]) expect(at(s), `${s}s`).toBeLessThanOrEqual(51);
    for (const s of [11, 20, 30]) expect(at(s), `${s}s`).toBe(0);
    const chart = runCharts(result).find((c) => c.id === 'inflight')!;
    expect(ruleSeconds(chart.spec)).toEqual([5, 9, 15]);
  });

  it('lag: the queue depth a RabbitMQ model samples (ready + unacked); none for the demo queue', () => {
    const rabbit = simulate(loadScenario(join(ROOT, 'scenarios/rabbitmq/nack-requeue-loop.yaml')));
    const lag = systemLagSeries(rabbit)!;
    // 20 messages, 5 of them cycling in the consumer's prefetch and 15 behind them, never delivered.
    expect(lag.at(-1)!.value).toBe(20);
    expect(runCharts(rabbit).map((c) => c.id)).toContain('lag');
    const demo = simulate(loadScenario(join(ROOT, 'scenarios/demo/steady-state.yaml')));
    expect(systemLagSeries(demo)).toBeNull();
    expect(runCharts(demo).map((c) => c.id)).not.toContain('lag');
  });

  it('a comparison draws backlog, lag, in-flight, throughput and latency, one line per variant, with the faults on the time axis', () => {
    const compare = parseCompare([
      'name: charts',
      'seed: 3',
      'duration: 4s',
      'drain: 4s',
      'workload: { producers: [{ id: p1, rate: 50/s }], consumers: [{ group: g, count: 1, processing: 2ms }] }',
      'faults: [{ at: 1s, kill: main-broker, for: 1s }]',
      'variants:',
      '  - { name: demo, system: demo, roles: { main-broker: broker } }',
      '  - name: rabbit',
      '    system: rabbitmq',
      '    queues: [{ name: q, durable: true }]',
      '    producer: { routingKey: q, config: { confirm: true } }',
      '    consumer: { queue: q }',
      '    roles: { main-broker: rabbit-1 }',
      '',
    ].join('\n'), 'charts.yaml');
    const comparison = runComparison(compare, 1);
    const { charts, x } = compareCharts(comparisonFacts(comparison));
    expect(charts.map((c) => c.id)).toEqual(['backlog', 'lag', 'inflight', 'deliveries', 'acks', 'latency-time', 'latency']);
    for (const chart of charts.filter((c) => c.id !== 'latency')) {
      // The kill lasts 1s: a band from 1s to 2s; the drain begins at 4s: a rule.
      expect(bandSeconds(chart.spec), chart.id).toEqual([[1, 2]]);
      expect(ruleSeconds(chart.spec), chart.id).toEqual([4]);
      // One shared time axis: the same clip and the same full range on every time chart.
      const scale = (chart.spec as unknown as { layer: { encoding: { x: { scale: { domain: [number, { expr: string }] } } } }[] }).layer[0]!.encoding.x.scale;
      expect(scale.domain, chart.id).toEqual([0, { expr: `fullRange ? ${x.full} : ${x.clip}` }]);
    }
    expect(x.full).toBe(8);
    expect(x.clip).toBeLessThanOrEqual(8);
    // Every chart colours the variants from the same list, in the file's order; the fault colour is none of them.
    for (const chart of charts) {
      const json = JSON.stringify(chart.spec);
      expect(json, chart.id).toContain(JSON.stringify({ domain: ['demo', 'rabbit'], range: PALETTE }));
    }
    expect(PALETTE).not.toContain(FAULT_COLOUR);
    const series = (id: string) => new Set(((charts.find((c) => c.id === id)!.spec as { layer: { data: { values: { series: string }[] } }[] }).layer[0]!.data.values).map((v) => v.series));
    expect(series('inflight')).toEqual(new Set(['demo', 'rabbit']));
    // Only RabbitMQ samples its queue depth.
    expect(series('lag')).toEqual(new Set(['rabbit']));
  });
});

describe('latency over virtual time', () => {
  it('buckets every first delivery once: counts add up to the run\'s latency count, p50 <= p99 <= max, and the worst bucket holds the run\'s max', async () => {
    const { latencyOverTime } = await import('../../reports/facts.js');
    const result = simulate(loadScenario(join(ROOT, 'scenarios/demo/ack-before-fsync-crash.yaml')), { keepHistory: true });
    const buckets = latencyOverTime(result)!;
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(result.latency.count);
    for (const b of buckets) {
      expect(b.p50).toBeLessThanOrEqual(b.p99);
      expect(b.p99).toBeLessThanOrEqual(b.max);
    }
    expect(Math.max(...buckets.map((b) => b.max))).toBe(result.latency.max);
    // Without the client history there is nothing to bucket.
    expect(latencyOverTime(simulate(loadScenario(join(ROOT, 'scenarios/demo/ack-before-fsync-crash.yaml'))))).toBeNull();
  });
});

describe('delay accuracy in the reports', () => {
  it('summary rows carry the delay error (relative, signed) only when delayed messages were delivered; tables show the columns only then', async () => {
    const { summaryRow, formatRelative } = await import('../../reports/facts.js');
    const { buildCompareReport } = await import('../../reports/compare-report.js');
    const { comparisonFacts } = await import('../../reports/comparison.js');
    const late = summaryRow(simulate(loadScenario(join(ROOT, 'scenarios/rabbitmq/delay-ttl-dlx-head-of-queue.yaml'))));
    expect(late.delayErrorMax).toBeGreaterThan(7);
    expect(late.deliveredEarly).toBe(0);
    const none = summaryRow(simulate(loadScenario(join(ROOT, 'scenarios/demo/steady-state.yaml'))));
    expect([none.delayErrorP50, none.delayErrorP99, none.delayErrorMax, none.deliveredEarly]).toEqual([null, null, null, null]);
    expect([formatRelative(0), formatRelative(0.00259), formatRelative(-0.5), formatRelative(8.9026)]).toEqual(['0%', '+0.259%', '-50%', '+890%']);

    const compare = (withDelay: boolean) => parseCompare([
      'name: d', 'duration: 3s', 'drain: 3s',
      'workload: { producers: [{ id: p1, count: 5, rate: 10/s }], consumers: [{ group: g }] }',
      'variants:',
      '  - name: plugin',
      '    system: rabbitmq',
      '    exchanges: [{ name: delayed, type: x-delayed-message, durable: true, arguments: { x-delayed-type: direct } }]',
      '    queues: [{ name: ready, durable: true }]',
      '    bindings: [{ exchange: delayed, queue: ready, routingKey: ready }]',
      `    producer: { exchange: delayed, routingKey: ready${withDelay ? ', delay: 1s' : ''} }`,
      '    consumer: { queue: ready }', ''].join('\n'), 'd.yaml');
    const headers = async (withDelay: boolean) => {
      const doc = await buildCompareReport(comparisonFacts(runComparison(compare(withDelay), 1)));
      return doc.blocks.filter((b) => b.kind === 'table' && (b.id === 'summary-table' || b.id === 'delay-table')).flatMap((b) => (b as { headers: string[] }).headers);
    };
    expect(await headers(true)).toEqual(expect.arrayContaining(['delay error p50', 'delay error p99', 'delay error worst', 'delivered early']));
    expect((await headers(false)).filter((h) => h.startsWith('delay') || h === 'delivered early')).toEqual([]);
  });
});

describe('workload steps on the time axis', () => {
  it('consumers joining later (start:) are drawn on a run report\'s charts, in blue, apart from the faults', async () => {
    const { consumerJoins } = await import('../../reports/run-report.js');
    const scenario = loadScenario(join(ROOT, 'scenarios/kafka/group-backlog-drain.yaml'));
    const steps = consumerJoins((scenario.workload as { consumers: { group?: string; count?: number; start?: number }[] }).consumers);
    expect(steps).toEqual([{ at: 20_000_000, label: '+1 consumer (billing)' }, { at: 40_000_000, label: '+1 consumer (billing)' }]);
    const charts = runCharts(simulate(scenario, { until: 5_000_000 }), steps);
    const layers = (charts.find((c) => c.id === 'backlog')!.spec as { layer: { mark: { type: string }; data?: { values: { seconds: number; workload: boolean }[] } }[] }).layer;
    const rules = layers.find((l) => l.mark.type === 'rule')!.data!.values;
    expect(rules.filter((r) => r.workload).map((r) => r.seconds)).toEqual([20, 40]);
  });
});
