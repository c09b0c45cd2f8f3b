import type { HistoryOp } from '../sim/history.js';
import type { RunResult } from '../sim/result.js';

/**
 * A run in the shape of an OpenMessaging Benchmark result file (TestResult, the JSON that OMB's
 * `bin/create_charts.py` and users' scripts read): rates per second and latencies in
 * milliseconds, one value per 10-second reporting window of the test (the safety phase), then
 * aggregates over the whole test. Publish latency is send() to acknowledgement (history invoke to
 * ok); end-to-end latency is send() to each delivery (OMB: publish timestamp to receive); the
 * backlog is, as OMB counts it, messages sent times subscriptions minus messages received, from
 * the end of the warm-up (OMB resets its counters there; the warm-up's own traffic is not counted).
 * Numbers come from virtual time: they are the model's, not a machine's.
 */

export interface OmbResultMeta {
  workload: string;
  driver: string;
  messageSize: number;
  topics: number;
  partitions: number;
  producersPerTopic: number;
  consumersPerTopic: number;
  subscriptions: number;
  /** Virtual time the test starts at, after the warm-up (µs; default 0): windows and aggregates start there. */
  measureFrom?: number;
}

const WINDOW_US = 10_000_000;
const QUANTILES = [50, 75, 90, 95, 99, 99.9, 99.99, 100];

type Stats = { avg: number; p50: number; p75: number; p95: number; p99: number; p999: number; p9999: number; max: number };

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

function stats(values: number[]): Stats {
  const sorted = Float64Array.from(values).sort();
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    avg: values.length ? sum / values.length : 0,
    p50: percentile(sorted, 50), p75: percentile(sorted, 75), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9), p9999: percentile(sorted, 99.99), max: sorted.length ? sorted[sorted.length - 1]! : 0,
  };
}

function quantiles(values: number[]): Record<string, number> {
  const sorted = Float64Array.from(values).sort();
  // Keys as Java writes a Double ("50.0", "99.9"), as OMB's Map<Double, Double> is serialised.
  return Object.fromEntries(QUANTILES.map((q) => [Number.isInteger(q) ? q.toFixed(1) : String(q), percentile(sorted, q)]));
}

const ms = (us: number) => us / 1000;

export function ombResult(result: RunResult, history: readonly HistoryOp[], meta: OmbResultMeta): Record<string, unknown> {
  const from = meta.measureFrom ?? 0;
  const end = result.duration;
  const windows = Math.max(1, Math.ceil((end - from) / WINDOW_US));
  const w = () => Array.from({ length: windows }, () => [] as number[]);
  const publish = w();
  const e2e = w();
  const published = new Array<number>(windows).fill(0);
  const errors = new Array<number>(windows).fill(0);
  const consumed = new Array<number>(windows).fill(0);
  const sentUpTo = new Array<number>(windows).fill(0);
  const receivedUpTo = new Array<number>(windows).fill(0);
  const invoked = new Map<string, number>();
  const allPublish: number[] = [];
  const allE2e: number[] = [];
  for (const op of history) {
    if (op.time >= end) continue;
    if (op.f === 'send' && op.type === 'invoke' && op.msg !== undefined) {
      if (!invoked.has(op.msg)) invoked.set(op.msg, op.time);
      continue;
    }
    // The warm-up: what completes before the test starts is not measured (OMB resets its stats).
    if (op.time < from) continue;
    const at = Math.min(windows - 1, Math.floor((op.time - from) / WINDOW_US));
    if (op.f === 'send' && op.msg !== undefined) {
      if (op.type === 'ok') {
        const start = invoked.get(op.msg);
        published[at]!++;
        sentUpTo[at]!++;
        if (start !== undefined) {
          publish[at]!.push(ms(op.time - start));
          allPublish.push(ms(op.time - start));
        }
      } else if (op.type === 'fail') {
        errors[at]!++;
      }
    } else if (op.f === 'receive' && op.type === 'ok' && op.msg !== undefined) {
      consumed[at]!++;
      receivedUpTo[at]!++;
      const start = invoked.get(op.msg);
      if (start !== undefined) {
        e2e[at]!.push(ms(op.time - start));
        allE2e.push(ms(op.time - start));
      }
    }
  }
  const seconds = (i: number) => Math.min(WINDOW_US, end - from - i * WINDOW_US) / 1_000_000;
  let sent = 0;
  let received = 0;
  const backlog: number[] = [];
  for (let i = 0; i < windows; i++) {
    sent += sentUpTo[i]!;
    received += receivedUpTo[i]!;
    backlog.push(Math.max(0, sent * meta.subscriptions - received));
  }
  const perWindow = publish.map(stats);
  const e2ePerWindow = e2e.map(stats);
  const agg = stats(allPublish);
  const aggE2e = stats(allE2e);
  const series = (list: Stats[], key: keyof Stats) => list.map((s) => s[key]);
  return {
    workload: meta.workload,
    driver: meta.driver,
    messageSize: meta.messageSize,
    topics: meta.topics,
    partitions: meta.partitions,
    producersPerTopic: meta.producersPerTopic,
    consumersPerTopic: meta.consumersPerTopic,
    publishRate: published.map((n, i) => n / seconds(i)),
    publishErrorRate: errors.map((n, i) => n / seconds(i)),
    consumeRate: consumed.map((n, i) => n / seconds(i)),
    backlog,
    publishLatencyAvg: series(perWindow, 'avg'),
    publishLatency50pct: series(perWindow, 'p50'),
    publishLatency75pct: series(perWindow, 'p75'),
    publishLatency95pct: series(perWindow, 'p95'),
    publishLatency99pct: series(perWindow, 'p99'),
    publishLatency999pct: series(perWindow, 'p999'),
    publishLatency9999pct: series(perWindow, 'p9999'),
    publishLatencyMax: series(perWindow, 'max'),
    aggregatedPublishLatencyAvg: agg.avg,
    aggregatedPublishLatency50pct: agg.p50,
    aggregatedPublishLatency75pct: agg.p75,
    aggregatedPublishLatency95pct: agg.p95,
    aggregatedPublishLatency99pct: agg.p99,
    aggregatedPublishLatency999pct: agg.p999,
    aggregatedPublishLatency9999pct: agg.p9999,
    aggregatedPublishLatencyMax: agg.max,
    aggregatedPublishLatencyQuantiles: quantiles(allPublish),
    endToEndLatencyAvg: series(e2ePerWindow, 'avg'),
    endToEndLatency50pct: series(e2ePerWindow, 'p50'),
    endToEndLatency75pct: series(e2ePerWindow, 'p75'),
    endToEndLatency95pct: series(e2ePerWindow, 'p95'),
    endToEndLatency99pct: series(e2ePerWindow, 'p99'),
    endToEndLatency999pct: series(e2ePerWindow, 'p999'),
    endToEndLatency9999pct: series(e2ePerWindow, 'p9999'),
    endToEndLatencyMax: series(e2ePerWindow, 'max'),
    aggregatedEndToEndLatencyAvg: aggE2e.avg,
    aggregatedEndToEndLatency50pct: aggE2e.p50,
    aggregatedEndToEndLatency75pct: aggE2e.p75,
    aggregatedEndToEndLatency95pct: aggE2e.p95,
    aggregatedEndToEndLatency99pct: aggE2e.p99,
    aggregatedEndToEndLatency999pct: aggE2e.p999,
    aggregatedEndToEndLatency9999pct: aggE2e.p9999,
    aggregatedEndToEndLatencyMax: aggE2e.max,
    aggregatedEndToEndLatencyQuantiles: quantiles(allE2e),
    // mqsim's own: which run this is.
    mqsim: { scenario: result.scenario, system: result.system, seed: result.seed, traceHash: result.traceHash, virtualTime: result.virtualTime, lostAcked: result.counts.lostAcked ?? 0, duplicateDeliveries: result.counts.duplicateDeliveries ?? 0 },
  };
}
