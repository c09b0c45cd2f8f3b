import type { Micros } from '../../sim/time.js';
import type { TraceRecord } from '../../sim/trace.js';
import { dataOf, payloadOf, seconds } from './model.js';
import type { FaultBand } from './timeline.js';

/**
 * The message inspector's journeys: for every message, what happened to it in plain words, from
 * the client history (send, acknowledgement, receive, ack), the packets that carried it (Produce,
 * FetchResponse, basic.publish, basic.deliver, SEND_MESSAGE, a PULL_MESSAGE response...), packets
 * lost on the way, and the broker notes that name it (dead-lettered, resent). Built once per run;
 * the page asks for a journey up to the current instant, so it never shows what comes later.
 */

export interface JourneyEvent {
  t: Micros;
  text: string;
  /** Nodes this event puts the message on (a sender, a broker that stored or acked it, a receiver). */
  holders: string[];
  tone?: 'good' | 'bad' | 'warn';
  /** What the client history says this event was, for the verdict. */
  outcome?: 'acked' | 'failed' | 'unknown' | 'received';
}

export interface MessageFacts {
  id: string;
  key?: string;
  events: JourneyEvent[];
}

export interface Journey {
  id: string;
  key?: string;
  events: JourneyEvent[];
  /** In words, as of the instant: "not sent yet", "acknowledged, not delivered yet", "delivered twice"... */
  status: string;
  verdict: 'pending' | 'delivered' | 'duplicated' | 'lost' | 'unknown' | 'failed' | 'unsent';
  /** Faults that hit a node holding the message, after it got there (the likely cause of a loss or duplicate): the band's label, and in words with its times. */
  causes: { fault: string; text: string }[];
}

export class JourneyIndex {
  readonly messages = new Map<string, MessageFacts>();
  readonly byKey = new Map<string, string[]>();

  constructor(records: readonly TraceRecord[], private readonly brokers: ReadonlySet<string>) {
    for (const record of records) {
      if (record.kind !== 'history') continue;
      const d = dataOf(record);
      if (d.f === 'send' && d.type === 'invoke' && typeof d.msg === 'string' && !this.messages.has(d.msg)) {
        const key = typeof d.key === 'string' ? d.key : undefined;
        this.messages.set(d.msg, key === undefined ? { id: d.msg, events: [] } : { id: d.msg, key, events: [] });
        if (key !== undefined) this.byKey.set(key, [...(this.byKey.get(key) ?? []), d.msg]);
      }
    }
    // Where each acknowledged record sits (Kafka: partition and offset), for the notes that cut a log.
    const stored = new Map<string, { offset: number; msg: string }[]>();
    const outstanding = new Map<string, { record: TraceRecord; msgs: string[] }[]>();
    const justDelivered = new Map<string, { record: TraceRecord; msgs: string[] }>();
    for (const record of records) {
      if (record.kind === 'history') {
        this.history(record);
        const d = dataOf(record);
        if (d.f === 'send' && d.type === 'ok' && typeof d.queue === 'string' && typeof d.offset === 'number' && typeof d.msg === 'string') {
          stored.set(d.queue, [...(stored.get(d.queue) ?? []), { offset: d.offset, msg: d.msg }]);
        }
      } else if (record.kind === 'note' && typeof dataOf(record).partition === 'string' && (dataOf(record).what === 'log-truncated' || dataOf(record).what === 'log-recovered')) {
        // A replica's log cut (truncation to the HW or to the leader's epoch end) or found shorter
        // after a crash: the records past that end are gone from that replica.
        const d = dataOf(record);
        const end = Number(d.what === 'log-truncated' ? d.to : d.leo);
        const partition = String(d.partition);
        const text = d.what === 'log-truncated' ? `${record.node} cut its log of ${partition} at offset ${end} (${String(d.reason ?? 'truncation')}): the record is gone from ${record.node}` : `${record.node} restarted with its log of ${partition} ending at offset ${end}: the record was not on its disk`;
        for (const entry of stored.get(partition) ?? []) if (entry.offset >= end) this.add(entry.msg, { t: record.t, text: `${text} (it was at offset ${entry.offset})`, holders: [record.node], tone: 'bad' });
      } else if (record.kind === 'note') {
        const d = dataOf(record);
        if (typeof d.msg === 'string') this.add(d.msg, d.what === 'dead-lettered' ? { t: record.t, text: noteText(record), holders: [record.node], tone: 'warn' } : { t: record.t, text: noteText(record), holders: [record.node] });
      } else if (record.kind === 'net.send') {
        const msgs = this.carried(record.payload);
        const channel = `${String(record.from)}>${String(record.to)}>${String(record.type)}`;
        const queue = outstanding.get(channel);
        const entry = { record, msgs };
        if (queue) queue.push(entry);
        else outstanding.set(channel, [entry]);
        for (const msg of msgs) this.add(msg, { t: record.t, text: packetText(record, msg, this.brokers), holders: [String(record.from)] });
      } else if (record.kind === 'net.deliver' || record.kind === 'net.drop') {
        // Connections keep order: a delivery or a drop is the oldest packet still on its way. A
        // packet that reaches a node that is down is recorded as delivered, then dropped: the
        // drop is about the packet just delivered.
        const channel = `${String(record.from)}>${String(record.to)}>${String(record.type)}`;
        const sent = record.kind === 'net.drop' && record.reason === 'node-down' ? justDelivered.get(channel) : outstanding.get(channel)?.shift();
        if (record.kind === 'net.deliver' && sent) justDelivered.set(channel, sent);
        if (!sent || sent.msgs.length === 0) continue;
        for (const msg of sent.msgs) {
          if (record.kind === 'net.deliver') this.lastHolders(msg, String(record.to), record.t);
          else this.add(msg, { t: record.t, text: `the ${String(record.type)} from ${String(record.from)} to ${String(record.to)} was lost on the way (${dropReason(String(record.reason))})`, holders: [], tone: 'bad' });
        }
      }
    }
  }

  /** The journey of a message as of `time`; faults are the run's fault bands. */
  journey(id: string, time: Micros, faults: readonly FaultBand[], final: boolean): Journey | null {
    const facts = this.messages.get(id);
    if (!facts) return null;
    const events = facts.events.filter((e) => e.t <= time);
    const sent = events.length > 0;
    const acked = events.some((e) => e.outcome === 'acked');
    const failed = events.some((e) => e.outcome === 'failed');
    const unknown = events.some((e) => e.outcome === 'unknown');
    const deliveries = events.filter((e) => e.outcome === 'received').length;
    let verdict: Journey['verdict'];
    let status: string;
    if (!sent) [verdict, status] = ['unsent', 'not sent yet at this point of the drill'];
    else if (deliveries > 1) [verdict, status] = ['duplicated', `delivered ${deliveries} times: a duplicate`];
    else if (deliveries === 1) [verdict, status] = ['delivered', 'delivered once'];
    else if (final && acked) [verdict, status] = ['lost', 'acknowledged to the producer, never delivered: lost'];
    else if (failed) [verdict, status] = ['failed', 'the producer was told the send failed'];
    else if (unknown) [verdict, status] = ['unknown', 'the producer never learned whether it was stored'];
    else if (acked) [verdict, status] = ['pending', 'acknowledged, not delivered yet'];
    else [verdict, status] = ['pending', 'sent, not acknowledged yet'];
    const holders = new Set(events.flatMap((e) => e.holders));
    const first = events[0]?.t ?? time;
    const causes = faults
      .filter((f) => f.start >= first && f.start <= time && [...holders].some((h) => f.label.includes(h)))
      .map((f) => ({ fault: f.label, text: `${f.label} at ${seconds(f.start)}${f.end > f.start && f.end <= time ? `, until ${seconds(f.end)}` : ''}` }));
    const journey: Journey = { id, events, status, verdict, causes };
    if (facts.key !== undefined) journey.key = facts.key;
    return journey;
  }

  /** Messages whose final verdict is a loss or a duplicate (for the summary once the drill is over). */
  anomalies(time: Micros, faults: readonly FaultBand[]): { lost: string[]; duplicated: string[] } {
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const id of this.messages.keys()) {
      const j = this.journey(id, time, faults, true)!;
      if (j.verdict === 'lost') lost.push(id);
      else if (j.verdict === 'duplicated') duplicated.push(id);
    }
    return { lost, duplicated };
  }

  private add(msg: string, event: JourneyEvent): void {
    this.messages.get(msg)?.events.push(event);
  }

  /** The packet reached `node`: the node holds the message from then on (a fault there may be its cause). */
  private lastHolders(msg: string, node: string, t: number): void {
    const events = this.messages.get(msg)?.events;
    const last = events?.[events.length - 1];
    if (last && last.t <= t && !last.holders.includes(node)) last.holders.push(node);
  }

  private history(record: TraceRecord): void {
    const d = dataOf(record);
    if (typeof d.msg !== 'string') return;
    const who = String(d.process ?? record.node);
    const where = typeof d.queue === 'string' ? `${d.queue}${typeof d.offset === 'number' ? ` at offset ${d.offset}` : ''}` : '';
    const node = typeof d.node === 'string' ? d.node : 'the broker';
    const holders = typeof d.node === 'string' ? [who, d.node] : [who];
    let text: string;
    let tone: JourneyEvent['tone'];
    const outcome: JourneyEvent['outcome'] =
      d.f === 'receive' && d.type === 'ok' ? 'received' : d.f !== 'send' ? undefined : d.type === 'ok' ? 'acked' : d.type === 'fail' ? 'failed' : d.type === 'info' ? 'unknown' : undefined;
    if (d.f === 'send' && d.type === 'invoke') text = `${who} sends it${typeof d.key === 'string' ? ` (key ${d.key})` : ''}`;
    else if (d.f === 'send' && d.type === 'ok') [text, tone] = [`${node} acknowledged the send to ${who}${where ? `: stored in ${where}` : ''}`, 'good'];
    else if (d.f === 'send' && d.type === 'fail') [text, tone] = [`the send failed: ${String(d.error ?? 'refused')}`, 'bad'];
    else if (d.f === 'send' && d.type === 'info') [text, tone] = [`no answer for the send (${String(d.error ?? 'timed out')}): ${who} cannot know whether it was stored`, 'warn'];
    else if (d.f === 'receive' && d.type === 'ok') [text, tone] = [`${who} received it${where ? ` from ${where}` : ''}${d.redelivered ? ', marked redelivered' : ''}`, 'good'];
    else if (d.f === 'ack' && d.type === 'ok') text = `${who} acknowledged it to ${node} (done with it)`;
    else if (d.f === 'skip') text = `${who} skipped it: already processed (idempotent consumer)`;
    else text = `${who}: ${String(d.f)} ${String(d.type)}`;
    const event: JourneyEvent = { t: record.t, text, holders };
    if (tone) event.tone = tone;
    if (outcome) event.outcome = outcome;
    this.add(d.msg, event);
  }

  /** The message ids a packet carries, wherever its payload puts them. */
  private carried(payload: unknown): string[] {
    const found: string[] = [];
    const walk = (value: unknown, depth: number) => {
      if (depth > 6 || value === null) return;
      if (typeof value === 'string') {
        if (this.messages.has(value) && !found.includes(value)) found.push(value);
      } else if (Array.isArray(value)) for (const v of value) walk(v, depth + 1);
      else if (typeof value === 'object') for (const v of Object.values(value)) walk(v, depth + 1);
    };
    walk(payload, 0);
    return found;
  }
}

/** A packet that carries the message, in words. */
function packetText(record: TraceRecord, msg: string, brokers: ReadonlySet<string>): string {
  const p = payloadOf(record);
  const from = String(record.from);
  const to = String(record.to);
  const offsetOf = () => ((p.records ?? []) as { msg?: string; offset?: number }[]).find((r) => r.msg === msg)?.offset;
  switch (record.type) {
    case 'Produce':
      return `${from} sends it to ${to} in a Produce request (acks=${p.acks === -1 ? 'all' : String(p.acks)})`;
    case 'FetchResponse': {
      const offset = offsetOf();
      return brokers.has(to)
        ? `${from}, the leader, copies it to follower ${to}${offset !== undefined ? ` at offset ${offset}` : ''} (FetchResponse)`
        : `${from} hands it to consumer ${to} in a FetchResponse${offset !== undefined ? ` (offset ${offset})` : ''}`;
    }
    case 'basic.publish':
      return `${from} publishes it to ${to} (basic.publish, routing key ${String(p.routingKey ?? '')})`;
    case 'basic.deliver':
      return `${from} delivers it to ${to} (basic.deliver${p.redelivered ? ', redelivered=true' : ''})`;
    case 'ra.append_entries':
      return `${from}, the quorum leader, replicates it to ${to} (Raft append_entries)`;
    case 'SEND_MESSAGE':
      return `${from} sends it to ${to}, queue ${String(p.queueId)} (SEND_MESSAGE)`;
    case 'SEND_MESSAGE_BACK':
      return `${from} sends it back to ${to} for a retry (SEND_MESSAGE_BACK)`;
    case 'RESPONSE':
      return `${from} returns it to ${to} (answer to PULL_MESSAGE)`;
    default:
      return `${from} sends it to ${to} (${String(record.type)})`;
  }
}

function noteText(record: TraceRecord): string {
  const d = dataOf(record);
  switch (d.what) {
    case 'dead-lettered':
      return `${record.node} dead-lettered it from ${String(d.queue)} (${String(d.reason)}) to exchange "${String(d.dlx ?? '')}"`;
    case 'outbox-resend':
      return `${record.node} sends it again from its outbox (attempt ${String(d.attempt)})`;
    default:
      return `${record.node}: ${String(d.what).replace(/-/g, ' ')}`;
  }
}

function dropReason(reason: string): string {
  if (reason === 'node-down') return 'the receiver was down';
  if (reason === 'partition') return 'a network partition';
  // sim/connection.ts: what a connection had not delivered when it ended (a crash, a reset).
  if (reason === 'connection-closed') return 'its connection ended before delivering it';
  if (reason === 'reset') return 'the receiver\'s process was gone: reset';
  return reason;
}
