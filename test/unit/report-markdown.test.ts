import { describe, expect, it } from 'vitest';
import { parseCompare, runComparison } from '../../models/compare.js';
import { buildCompareReport } from '../../reports/compare-report.js';
import { comparisonFacts } from '../../reports/comparison.js';
import { renderMarkdown } from '../../reports/markdown.js';

/** A small fixed comparison: two demo configurations, a short broker machine crash, three seconds of load. */
const SMALL = `
name: small
description: A short broker machine crash with acks from the page cache and after fsync.
seed: 5
duration: 3s
drain: 10s
network: { latency: 1ms }
workload:
  producers: [{ id: p1, rate: 20/s, keys: 2 }]
  consumers: [{ group: g, count: 1, processing: 5ms }]
faults:
  - { at: 1s, crash: the-broker, for: 500ms }
variants:
  - { name: receive, system: demo, cluster: { config: { ack.after: receive } }, roles: { the-broker: broker } }
  - { name: fsync, system: demo, cluster: { config: { ack.after: fsync } }, roles: { the-broker: broker } }
`;

describe('Markdown comparison report', () => {
  it('matches the snapshot for a small fixed comparison', async () => {
    const comparison = runComparison(parseCompare(SMALL, 'small.yaml'), 1);
    const { markdown, files } = renderMarkdown(await buildCompareReport(comparisonFacts(comparison)), 'report');
    expect(files.map((f) => f.name)).toEqual(['report-backlog.svg', 'report-inflight.svg', 'report-deliveries.svg', 'report-acks.svg', 'report-latency-time.svg', 'report-latency.svg']);
    await expect(markdown).toMatchFileSnapshot('./__snapshots__/report-compare.md');
    // GitHub renders the question, then the verdict table before any other table.
    const lines = markdown.split('\n');
    const firstTable = lines.findIndex((l) => l.startsWith('| '));
    expect(lines[firstTable]).toMatch(/^\| rank \| variant \| safe: no acknowledged message lost \| verdict, from the run \|$/);
    expect(lines.slice(0, firstTable).join('\n')).toContain('**Which variant keeps no acknowledged message lost, and at what cost?**');
    expect(lines[firstTable + 2]).toMatch(/^\| 1 \| fsync \(demo\) \| yes \|/);
    expect(lines[firstTable + 3]).toMatch(/^\| 2 \| receive \(demo\) \| no \| Loses acknowledged messages: \d+ of \d+ when the-broker crashes for 500ms at 1s/);
  });
});
