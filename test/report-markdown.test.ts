import { describe, expect, it } from 'vitest';
import { parseScenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { buildCompareReport } from '../reports/compare-report.js';
import { parseCompare, runComparison } from '../reports/compare.js';
import { renderMarkdown } from '../reports/markdown.js';

/** A small fixed comparison: two demo configurations, a short broker kill, three seconds of load. */
const SMALL = `
name: small
description: A short broker kill with acks from the page cache and after fsync.
seed: 5
duration: 3s
drain: 10s
network: { latency: 1ms }
workload:
  producers: [{ id: p1, rate: 20/s, keys: 2 }]
  consumers: [{ group: g, count: 1, processing: 5ms }]
faults:
  - { at: 1s, kill: the-broker, for: 500ms }
variants:
  - { name: receive, system: demo, cluster: { config: { ack.after: receive } }, roles: { the-broker: broker } }
  - { name: fsync, system: demo, cluster: { config: { ack.after: fsync } }, roles: { the-broker: broker } }
`;

describe('Markdown comparison report', () => {
  it('matches the snapshot for a small fixed comparison', async () => {
    const comparison = runComparison(parseCompare(SMALL, 'small.yaml'), 1, { parseScenario, simulate });
    const { markdown, files } = renderMarkdown(await buildCompareReport(comparison), 'report');
    expect(files.map((f) => f.name)).toEqual(['report-backlog.svg', 'report-inflight.svg', 'report-deliveries.svg', 'report-acks.svg', 'report-latency-time.svg', 'report-latency.svg']);
    await expect(markdown).toMatchFileSnapshot('./__snapshots__/report-compare.md');
  });
});
