import type { ClientView, ClusterView, ServerView, Strip } from '../view/model.js';
import { h, svg, term } from './dom.js';

/**
 * The cluster diagram, drawn for a projector: producers on top, the servers in a row (one box
 * each, one strip per partition replica / queue / commit log inside, like RaftScope's per-server
 * logs), consumers below. Messages flow downwards: an arrow from each producer to the server row
 * and from the server row to each consumer, each in the gap between rows so none crosses a box,
 * labelled with the servers it talked to and the messages of the last second. Coordinators
 * (ZooKeeper, NameServers) sit in a line above. Everything is HTML text, at least 14 px.
 */
export function renderDiagram(view: ClusterView, compact = false): HTMLElement {
  return h(
    'div',
    { class: 'diagram-body' },
    view.coordinators.length > 0
      ? h('div', { class: 'coords' }, view.coordinators.map((c) => h('span', { class: `coord ${statusClass(c.status)}`, 'data-node': c.name, 'data-status': c.status }, h('b', {}, c.name), ` ${statusWord(c.status)}`, c.note ? ` · ${c.note}` : '')))
      : null,
    view.partitions.length > 0 ? h('div', { class: 'cut-banner' }, `✂ network partition: ${view.partitions.join(' ')}`) : null,
    h('div', { class: 'clients producers' }, view.producers.map((c) => clientCell(c))),
    h('div', { class: 'servers' }, view.servers.map((server) => serverBox(server, compact))),
    h('div', { class: 'clients consumers' }, view.consumers.map((c) => clientCell(c))),
  );
}

function clientCell(client: ClientView): HTMLElement {
  const box = h(
    'div',
    { class: `box client ${statusClass(client.status)}`, 'data-node': client.name, 'data-status': client.status },
    h('div', { class: 'box-head' }, h('b', {}, client.name), h('span', { class: 'status' }, statusWord(client.status))),
    client.details.map((d) => h('div', { class: 'detail' }, d)),
  );
  const arrow = flowArrow(client);
  return h('div', { class: 'client-cell' }, client.kind === 'producer' ? [box, arrow] : [arrow, box]);
}

/** A downward arrow (messages flow producer -> servers -> consumer) with the last second's messages, dashed red when a partition cuts it. */
function flowArrow(client: ClientView): HTMLElement {
  const where = client.servers.length === 1 ? client.servers[0]! : `${client.servers.length} brokers`;
  let label: string;
  if (client.cut) label = '✂ cut off';
  else if (client.rate === 0) label = client.kind === 'producer' ? 'sends nothing' : 'receives nothing';
  else if (client.kind === 'consumer') label = `${client.rate} msg/s from ${where}`;
  else if (client.acked === 0) label = `${client.rate} msg/s, none acknowledged`;
  else label = `${client.rate} msg/s to ${where}`;
  const cls = client.cut ? 'cut' : client.rate === 0 ? 'idle' : 'busy';
  const arrow = svg(
    'svg',
    { class: `arrow ${cls}`, viewBox: '0 0 16 40', width: 16, height: 40, 'aria-hidden': 'true' },
    svg('line', { x1: 8, y1: 0, x2: 8, y2: 30 }),
    svg('path', { d: 'M1 28 L8 40 L15 28 Z' }),
  );
  return h('div', { class: `flow ${cls}`, 'data-flow': client.name }, arrow, h('span', { class: 'flow-label' }, label));
}

function serverBox(server: ServerView, compact: boolean): HTMLElement {
  return h(
    'div',
    { class: `box server ${statusClass(server.status)}`, 'data-node': server.name, 'data-status': server.status },
    h('div', { class: 'box-head' }, h('b', {}, server.name), h('span', { class: 'status' }, statusWord(server.status))),
    server.badges.length > 0 ? h('div', { class: 'badges' }, server.badges.map((b) => h('span', { class: 'badge' }, b))) : null,
    server.cutFrom.length > 0 ? h('div', { class: 'cut-note' }, `✂ cannot reach ${server.cutFrom.join(', ')}`) : null,
    server.strips.length === 0 && server.empty ? h('div', { class: 'detail' }, server.empty) : null,
    compact ? stripGroups(server.strips) : server.strips.map(stripRow),
  );
}

/** Strips with the same fields (a broker's partition replicas, its consume queues) as one table; a lone strip as it is. */
function stripGroups(strips: readonly Strip[]): HTMLElement[] {
  const groups = new Map<string, Strip[]>();
  for (const strip of strips) {
    const key = strip.bar ? 'log' : strip.fields.map((f) => f.label).join('|');
    groups.set(key, [...(groups.get(key) ?? []), strip]);
  }
  return [...groups.values()].map((group) => (group.length > 1 ? stripTable(group) : stripRow(group[0]!)));
}

/**
 * The strips of a box as a table, one line each (a box with many partitions or queues): a
 * header row names the fields once, the role is a mark (★ leads), the owner moves to the
 * consumer's box, which says what it reads.
 */
function stripTable(strips: readonly Strip[]): HTMLElement {
  const columns: { label: string; term?: string }[] = [];
  for (const strip of strips) for (const f of strip.fields) if (!columns.some((c) => c.label === f.label)) columns.push(f.term ? { label: f.label, term: f.term } : { label: f.label });
  // The owner gets a column where the table has room for it (not beside Kafka's four).
  const owners = columns.length <= 3 && strips.some((s) => s.owner);
  return h(
    'table',
    { class: 'strips' },
    h('thead', {}, h('tr', {}, h('th', {}, strips.some(leads) ? '★ leads' : ''), columns.map((c) => h('th', {}, c.term ? term(c.label, c.term) : c.label)), owners ? h('th', {}, 'read by') : null)),
    h(
      'tbody',
      {},
      strips.map((strip) => {
        const first = leads(strip);
        return h(
          'tr',
          { class: first ? 'lead' : 'follow', 'data-strip': strip.label },
          h('th', {}, first ? `★ ${strip.label}` : strip.label),
          columns.map((c) => {
            const field = strip.fields.find((f) => f.label === c.label);
            return h('td', { class: field?.warn ? 'warn' : '' }, field ? field.value : '');
          }),
          owners ? h('td', { class: 'owner' }, strip.owner ? `→ ${strip.owner}` : '') : null,
        );
      }),
    ),
  );
}

function stripRow(strip: Strip): HTMLElement {
  const roleClass = strip.role === 'leader' || strip.role === 'quorum leader' ? 'lead' : 'follow';
  return h(
    'div',
    { class: `strip ${roleClass}`, 'data-strip': strip.label },
    h(
      'div',
      { class: 'strip-head' },
      h('b', {}, strip.label),
      strip.role ? h('span', { class: 'role' }, strip.role) : null,
      strip.owner ? h('span', { class: 'owner' }, `→ ${strip.owner}`) : null,
    ),
    strip.bar ? logBar(strip.bar) : null,
    h(
      'div',
      { class: 'fields' },
      strip.fields.map((f) => h('span', { class: `field${f.warn ? ' warn' : ''}` }, f.term ? term(f.label, f.term) : f.label, ' ', h('b', {}, f.value))),
    ),
  );
}

/** The log as a bar: filled to its end, with a tick at each mark (the HW, the consumed offset). */
function logBar(bar: NonNullable<Strip['bar']>): HTMLElement {
  const pct = (x: number) => `${Math.max(0, Math.min(100, (x / bar.scale) * 100)).toFixed(1)}%`;
  return h(
    'div',
    { class: 'logbar', 'aria-hidden': 'true' },
    h('div', { class: 'bar-fill', style: `width:${pct(bar.end)}` }),
    bar.marks.map((m) => h('div', { class: 'bar-mark', style: `left:${pct(m.at)}`, title: m.label })),
  );
}

function leads(strip: Strip): boolean {
  return strip.role === 'leader' || strip.role === 'quorum leader';
}

function statusClass(status: string): string {
  return status.replace(' ', '-');
}

function statusWord(status: string): string {
  return status === 'up' ? '● up' : status === 'down' ? '✖ down' : status === 'paused' ? '❚❚ paused' : '○ not started';
}
