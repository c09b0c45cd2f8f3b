import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrill, snapshotAt } from '../../drill/engine.js';
import { clusterView } from '../../drill/view/cluster.js';
import { JourneyIndex } from '../../drill/view/journey.js';
import { faultBands } from '../../drill/view/timeline.js';
import { loadScenario } from '../../models/scenario.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/** What the drill page shows, computed from the trace alone (drill/view/), checked in Node. */
const drill = (file: string) => runDrill(loadScenario(join(REPO_ROOT, 'scenarios/drills', file)));

describe('drill views', () => {
  const run = drill('demo-ack-before-fsync.yaml');
  const bands = faultBands(run.records, run.result.nodes, run.result.virtualTime);
  const view = (time: number) => {
    const snapshot = snapshotAt(run, time);
    return clusterView({ system: 'demo', records: run.records, nodes: run.result.nodes, time, gauges: snapshot.gauges, stores: snapshot.stores });
  };

  it('a crash with for: is a band from the crash to the restart', () => {
    expect(bands).toEqual([{ start: 10_000_000, end: 13_000_000, kind: 'crash', label: 'crash broker', short: 'broker crashed' }]);
  });

  it('the cluster view at an instant: the broker down during the crash, messages of the last second, acknowledged or not', () => {
    expect(view(11_000_000).servers.map((s) => [s.name, s.status])).toEqual([['broker', 'down']]);
    expect(view(9_000_000).servers[0]!.status).toBe('up');
    // p1 sends 100 a second; the broker acknowledges them until its machine crashes at 10 s, none while it is down.
    expect(view(9_000_000).producers[0]).toMatchObject({ rate: 100, acked: 100, servers: ['broker'] });
    expect(view(12_500_000).producers[0]).toMatchObject({ rate: 100, acked: 0, servers: [] });
    expect(view(9_000_000).consumers[0]!.rate).toBeGreaterThan(40);
  });

  it('a lost message: pending while the drill runs, lost only with final verdicts, its cause the crash', () => {
    const index = new JourneyIndex(run.records, new Set(['broker']));
    const lost = run.result.anomalies['lost-write']!.examples[0]!.msg!;
    const ackedAt = index.messages.get(lost)!.events.find((e) => e.outcome === 'acked')!.t;
    expect(index.journey(lost, ackedAt - 1, bands, false)!.verdict).toBe('pending');
    expect(index.journey(lost, 0, bands, false)!.verdict).toBe('unsent');
    const during = index.journey(lost, 11_000_000, bands, false)!;
    expect(during.verdict).toBe('pending');
    expect(during.status).toBe('acknowledged, not delivered yet');
    expect(during.causes).toEqual([{ fault: 'crash broker', text: 'crash broker at 10.000 s' }]);
    const end = index.journey(lost, run.result.virtualTime, bands, true)!;
    expect(end.verdict).toBe('lost');
    expect(end.causes).toEqual([{ fault: 'crash broker', text: 'crash broker at 10.000 s, until 13.000 s' }]);
    expect(index.anomalies(run.result.virtualTime, bands).lost.length).toBe(run.result.counts.lostAcked);
    // Nothing after the instant leaks into a journey.
    expect(during.events.every((e) => e.t <= 11_000_000)).toBe(true);
  });

  it('Kafka: the replica strips at the new leader\'s election match the narration\'s LEO and epoch', () => {
    const kafka = drill('kafka-acks-1-leader-failover.yaml');
    const step = kafka.steps[3]!;
    const snapshot = snapshotAt(kafka, step.time);
    const v = clusterView({ system: 'kafka', records: kafka.records, nodes: kafka.result.nodes, time: step.time, gauges: snapshot.gauges, stores: snapshot.stores });
    const strip = v.servers.find((s) => s.name === 'broker-2')!.strips.find((s) => s.label === 'orders-0')!;
    expect(strip.role).toBe('leader');
    const field = (label: string) => strip.fields.find((f) => f.label === label)?.value;
    expect(step.narration).toContain(`ends at offset ${field('LEO')}`);
    expect(field('epoch')).toBe('1');
    expect(v.servers.find((s) => s.name === 'broker-1')!.strips[0]!.fields.find((f) => f.label === 'ISR')).toMatchObject({ value: 'out', warn: true });
    // A lost record's story: acknowledged by broker-1 alone, its copies to the followers held up by the partition (TCP
    // retransmitting) and gone with broker-1's connections when its machine crashed, gone from broker-1's disk.
    const index = new JourneyIndex(kafka.records, new Set(['broker-1', 'broker-2', 'broker-3']));
    const bands = faultBands(kafka.records, kafka.result.nodes, kafka.result.virtualTime);
    const lost = kafka.result.anomalies['lost-write']!.examples[0]!.msg!;
    const story = index.journey(lost, kafka.result.virtualTime, bands, true)!.events.map((e) => e.text);
    expect(story).toContain('the FetchResponse from broker-1 to broker-2 was lost on the way (its connection ended before delivering it)');
    expect(story.some((t) => /^broker-1 acknowledged the send to p1: stored in orders-0 at offset \d+$/.test(t))).toBe(true);
    expect(story.some((t) => t.startsWith('broker-1 restarted with its log of orders-0 ending at offset 0: the record was not on its disk'))).toBe(true);
    // Before broker-1 restarts (40 s), that last line is not in the story.
    expect(index.journey(lost, 30_000_000, bands, false)!.events.some((e) => e.text.includes('not on its disk'))).toBe(false);
  });
});
