/**
 * The drill web page's script (`mqsim drill FILE --html drill.html`). A plain browser script, no
 * imports and no framework: drill/html.ts inlines the compiled file into the page, next to the
 * run's data (the JSON element #drill-data). Everything the page shows is
 * rebuilt from the trace records at the selected instant: node status from node.* records, cut
 * links from the partition faults, control-plane stores by applying immer's patches, gauges from
 * the metrics series. Text from the scenario and the run only ever reaches the DOM as textContent.
 */
(() => {
  interface Rec {
    i: number;
    t: number;
    kind: string;
    node: string;
    from?: string;
    to?: string;
    type?: string;
    reason?: string;
    payload?: unknown;
    data?: unknown;
  }
  interface Question { prompt: string; choices?: string[]; answer: number; tolerance: number }
  interface Step { index: number; time: number; fired: boolean; title: string; narration: string; question?: Question; explanation?: string }
  interface PageData {
    title: string;
    scenario: string;
    system: string;
    seed: number;
    end: number;
    nodes: { name: string; roles: string[] }[];
    steps: Step[];
    series: Record<string, { time: number; value: number }[]>;
    counts: Record<string, number>;
    records: Rec[];
  }
  interface Patch { op: 'add' | 'replace' | 'remove'; path: (string | number)[]; value?: unknown }
  type Status = 'up' | 'down' | 'paused' | 'not started';
  interface Partition { description: string; cuts: [string, string][] }
  interface HistoryOp { time: number; process: string; type: string; f: string; msg?: string; key?: string; queue?: string; offset?: number; node?: string; group?: string; error?: string; redelivered?: boolean }

  const SVG = 'http://www.w3.org/2000/svg';
  const EVENT_KINDS = new Set(['net.deliver', 'net.drop', 'fault', 'phase', 'note', 'node.crash', 'node.restart', 'node.pause', 'node.resume']);

  const data = JSON.parse(byId('drill-data').textContent ?? '{}') as PageData;
  const records = data.records;
  const end = Math.max(data.end, 1);
  /** The records that change the cluster (few): scanned in full for every instant. */
  const control = records.filter((r) => r.kind.startsWith('node.') || r.kind === 'fault' || r.kind === 'phase' || r.kind.startsWith('state.'));
  const faults = records.filter((r) => r.kind === 'fault' || r.kind === 'phase');
  const nodeNames = data.nodes.map((n) => n.name);

  let time = 0;
  let currentStep = -1;

  // ---------------------------------------------------------------- helpers

  function byId<T extends HTMLElement = HTMLElement>(id: string): T {
    const element = document.getElementById(id);
    if (!element) throw new Error(`drill page: #${id} is missing`);
    return element as T;
  }

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
    for (const child of children) element.append(child);
    return element;
  }

  function svg(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function fmt(micros: number): string {
    return `${(micros / 1_000_000).toFixed(3)}s`;
  }

  function obj(value: unknown): Record<string, unknown> {
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  }

  function clone<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
  }

  /** Number of records at or before `t` (records are in time order). */
  function countAt(t: number): number {
    let lo = 0;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (records[mid]!.t <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function rolesOf(name: string): string[] {
    return data.nodes.find((n) => n.name === name)?.roles ?? [];
  }

  // ---------------------------------------------------------------- immer patches

  /** Applies immer patches ({op, path, value}) in place, as immer's applyPatches would. */
  function applyPatches(state: unknown, patches: Patch[]): unknown {
    let root = state;
    for (const patch of patches) {
      const value = clone(patch.value);
      if (patch.path.length === 0) {
        root = patch.op === 'remove' ? undefined : value;
        continue;
      }
      let parent: unknown = root;
      for (const segment of patch.path.slice(0, -1)) parent = obj(parent)[String(segment)];
      const key = patch.path[patch.path.length - 1]!;
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (patch.op === 'add') parent.splice(index, 0, value);
        else if (patch.op === 'remove') parent.splice(index, 1);
        else if (key === 'length') parent.length = Number(value);
        else parent[index] = value;
      } else if (parent !== null && typeof parent === 'object') {
        const target = parent as Record<string, unknown>;
        if (patch.op === 'remove') delete target[String(key)];
        else target[String(key)] = value;
      }
    }
    return root;
  }

  // ---------------------------------------------------------------- partitions

  /** The links a partition cuts, from its description (`partition [a, b] | [c]`, `partition one-way [a] -x-> [b]`) and its resolved targets. */
  function partitionCuts(description: string, targets: string[]): [string, string][] {
    const groups = [...description.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== ''));
    const placed = new Set<string>();
    const resolved: string[][] = groups.map(() => []);
    // Node names first, then role selectors (all-broker, random-broker), then whatever targets are left.
    groups.forEach((group, g) => group.forEach((token) => {
      if (targets.includes(token) && !placed.has(token)) { resolved[g]!.push(token); placed.add(token); }
    }));
    groups.forEach((group, g) => group.forEach((token) => {
      const role = /^(?:all|random)-(.+)$/.exec(token)?.[1];
      if (!role) return;
      for (const name of targets) {
        if (placed.has(name) || !rolesOf(name).includes(role)) continue;
        resolved[g]!.push(name);
        placed.add(name);
        if (token.startsWith('random-')) break;
      }
    }));
    groups.forEach((group, g) => group.forEach((token) => {
      if (targets.includes(token) || /^(?:all|random)-/.test(token)) return;
      const name = targets.find((n) => !placed.has(n));
      if (name !== undefined) { resolved[g]!.push(name); placed.add(name); }
    }));
    const cuts: [string, string][] = [];
    if (/one-way/.test(description) && resolved.length === 2) {
      for (const a of resolved[0]!) for (const b of resolved[1]!) if (a !== b) cuts.push([a, b]);
    } else {
      for (let a = 0; a < resolved.length; a++) for (let b = 0; b < resolved.length; b++) {
        if (a === b) continue;
        for (const x of resolved[a]!) for (const y of resolved[b]!) if (x !== y) cuts.push([x, y]);
      }
    }
    return cuts;
  }

  // ---------------------------------------------------------------- the cluster at an instant

  interface Snapshot {
    status: Map<string, Status>;
    partitions: Partition[];
    stores: Map<string, { state: unknown; changed: number; reason: string }>;
    gauges: [string, number][];
    events: Rec[];
  }

  function snapshotAt(t: number): Snapshot {
    const status = new Map<string, Status>(nodeNames.map((n) => [n, 'not started']));
    let partitions: Partition[] = [];
    const stores = new Map<string, { state: unknown; changed: number; reason: string }>();
    for (const record of control) {
      if (record.t > t) break;
      const d = obj(record.data);
      switch (record.kind) {
        case 'node.start':
        case 'node.restart':
        case 'node.resume':
          status.set(record.node, 'up');
          break;
        case 'node.crash':
          status.set(record.node, 'down');
          break;
        case 'node.pause':
          status.set(record.node, 'paused');
          break;
        case 'fault':
          if (d.kind === 'partition') {
            const description = String(d.description);
            partitions.push({ description, cuts: partitionCuts(description, (d.targets as string[] | undefined) ?? []) });
          }
          if (d.kind === 'heal') partitions = [];
          break;
        case 'phase':
          partitions = [];
          break;
        case 'state.init':
          stores.set(String(d.store), { state: clone(d.value), changed: record.t, reason: 'initial state' });
          break;
        case 'state.change': {
          const store = stores.get(String(d.store));
          if (store) {
            store.state = applyPatches(store.state, (d.patches as Patch[] | undefined) ?? []);
            store.changed = record.t;
            store.reason = d.reason === undefined ? 'changed' : String(d.reason);
          }
          break;
        }
      }
    }
    const gauges: [string, number][] = [];
    for (const [name, series] of Object.entries(data.series)) {
      let value: number | undefined;
      for (const point of series) {
        if (point.time > t) break;
        value = point.value;
      }
      if (value !== undefined) gauges.push([name, value]);
    }
    const events: Rec[] = [];
    for (let i = countAt(t) - 1; i >= 0 && events.length < 14; i--) if (EVENT_KINDS.has(records[i]!.kind)) events.unshift(records[i]!);
    return { status, partitions, stores, gauges, events };
  }

  function describe(record: Rec): string {
    const d = obj(record.data);
    switch (record.kind) {
      case 'net.send':
        return `${record.from} -> ${record.to}  ${record.type} sent`;
      case 'net.deliver':
        return `${record.from} -> ${record.to}  ${record.type}`;
      case 'net.drop':
        return `${record.from} -x ${record.to}  ${record.type} dropped (${record.reason})`;
      case 'fault':
      case 'phase':
        return `nemesis: ${String(d.description)}`;
      case 'note': {
        const fields = Object.entries(d).filter(([k]) => k !== 'what').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
        return `${record.node}: ${String(d.what)}${fields ? ` ${fields}` : ''}`;
      }
      default:
        return `${record.node}: ${record.kind.replace('node.', '')}`;
    }
  }

  // ---------------------------------------------------------------- timeline

  const scrubber = byId<HTMLInputElement>('scrubber');
  scrubber.min = '0';
  scrubber.max = String(end);
  scrubber.step = '1000';

  function drawTimeline(): void {
    const track = byId('timeline-marks');
    track.replaceChildren();
    const x = (t: number) => (t / end) * 1000;
    track.append(svg('rect', { x: 0, y: 18, width: 1000, height: 4, fill: '#ccd' }));
    for (const record of faults) {
      const d = obj(record.data);
      if (typeof d.until === 'number') track.append(svg('rect', { x: x(record.t), y: 14, width: Math.max(1, x(d.until) - x(record.t)), height: 12, fill: '#f3c4c4' }));
    }
    for (const record of faults) {
      const d = obj(record.data);
      const mark = svg('g', { class: `mark fault ${record.kind}`, 'data-time': record.t, tabindex: '-1' });
      mark.append(svg('title', {}, `${fmt(record.t)}  ${String(d.description)}`));
      mark.append(svg('line', { x1: x(record.t), x2: x(record.t), y1: 4, y2: 36, stroke: record.kind === 'phase' ? '#777' : '#c62828', 'stroke-width': 3 }));
      mark.append(svg('polygon', { points: `${x(record.t) - 6},2 ${x(record.t) + 6},2 ${x(record.t)},10`, fill: record.kind === 'phase' ? '#777' : '#c62828' }));
      track.append(mark);
    }
    data.steps.forEach((step, i) => {
      const mark = svg('g', { class: 'mark step', 'data-time': step.time, 'data-step': i });
      mark.append(svg('title', {}, `${fmt(step.time)}  step ${i + 1}: ${step.title}`));
      mark.append(svg('circle', { cx: x(step.time), cy: 30, r: 8, fill: '#1565c0' }));
      mark.append(svg('text', { x: x(step.time), y: 33.5, 'text-anchor': 'middle', 'font-size': 10, fill: '#fff' }, String(i + 1)));
      track.append(mark);
    });
    track.append(svg('line', { id: 'timeline-cursor', x1: 0, x2: 0, y1: 0, y2: 40, stroke: '#111', 'stroke-width': 2 }));
    track.addEventListener('click', (event) => {
      const target = (event.target as Element).closest('.mark');
      if (target) {
        const step = target.getAttribute('data-step');
        if (step !== null) return goToStep(Number(step));
        return setTime(Number(target.getAttribute('data-time')));
      }
      const box = (track as unknown as SVGSVGElement).getBoundingClientRect();
      setTime(Math.round((((event as MouseEvent).clientX - box.left) / box.width) * end));
    });
    const legend = byId('timeline-legend');
    legend.replaceChildren();
    for (const record of faults) {
      const button = el('button', { type: 'button', class: 'chip fault-chip' }, `${fmt(record.t)} ${String(obj(record.data).description)}`);
      button.addEventListener('click', () => setTime(record.t));
      legend.append(button);
    }
  }

  // ---------------------------------------------------------------- cluster diagram

  function layout(): Map<string, { x: number; y: number }> {
    const producers = data.nodes.filter((n) => n.roles.includes('producer')).map((n) => n.name);
    const consumers = data.nodes.filter((n) => n.roles.includes('consumer')).map((n) => n.name);
    const servers = nodeNames.filter((n) => !producers.includes(n) && !consumers.includes(n));
    const positions = new Map<string, { x: number; y: number }>();
    // Clients in columns left and right, servers in a column (1-2) or on an ellipse; the drawing as tall as it needs.
    const ry = servers.length <= 2 ? 0 : Math.max(105, servers.length * 24);
    const height = Math.max(110, producers.length * 80 + 20, consumers.length * 80 + 20, servers.length <= 2 ? servers.length * 80 + 20 : 2 * ry + 70);
    const column = (names: string[], x: number) => names.forEach((name, i) => positions.set(name, { x, y: ((i + 1) * height) / (names.length + 1) }));
    column(producers, 80);
    if (servers.length <= 2) column(servers, 450);
    else servers.forEach((name, i) => {
      const angle = (2 * Math.PI * i) / servers.length - Math.PI / 2;
      positions.set(name, { x: 450 + 200 * Math.cos(angle), y: height / 2 + ry * Math.sin(angle) });
    });
    column(consumers, 820);
    // Room below for a bottom node's "leads ..." line.
    byId('cluster-diagram').setAttribute('viewBox', `0 0 900 ${height + 22}`);
    return positions;
  }
  const positions = layout();
  /** The links drawn: every pair of nodes that exchanged a message during the run. */
  const talked = new Set<string>();
  for (const r of records) {
    if (r.kind !== 'net.send' || r.from === undefined || r.to === undefined) continue;
    talked.add(r.from < r.to ? `${r.from}|${r.to}` : `${r.to}|${r.from}`);
  }

  interface Leadership { store: string; what: string; leader: string; replicas: string }

  /** Entries of the stores that name a leader (`orders-0: {leader: broker-2, isr: [...]}`), for the diagram and a table. */
  function leadershipOf(snapshot: Snapshot): Leadership[] {
    const found: Leadership[] = [];
    const walk = (store: string, value: unknown, key: string, depth: number) => {
      if (depth > 4 || value === null || typeof value !== 'object' || Array.isArray(value)) return;
      const o = value as Record<string, unknown>;
      if (typeof o.leader === 'string' && nodeNames.includes(o.leader)) {
        const list = ['isr', 'replicas', 'followers', 'members'].map((k) => o[k]).find((v) => Array.isArray(v)) as unknown[] | undefined;
        found.push({ store, what: key, leader: o.leader, replicas: list ? list.map(String).join(', ') : '' });
      }
      for (const [k, v] of Object.entries(o)) if (k !== 'leader') walk(store, v, k, depth + 1);
    };
    for (const [name, store] of snapshot.stores) walk(name, store.state, name, 0);
    return found;
  }

  function drawCluster(snapshot: Snapshot): void {
    const leads = new Map<string, string[]>();
    for (const l of leadershipOf(snapshot)) leads.set(l.leader, [...(leads.get(l.leader) ?? []), l.what]);
    const diagram = byId('cluster-diagram');
    diagram.replaceChildren();
    const cut = new Set<string>();
    for (const p of snapshot.partitions) for (const [a, b] of p.cuts) cut.add(`${a}|${b}`);
    const isCut = (a: string, b: string) => cut.has(`${a}|${b}`) || cut.has(`${b}|${a}`);
    const pairs: [string, string][] = [];
    for (const a of nodeNames) for (const b of nodeNames) {
      if (a >= b) continue;
      if (talked.has(`${a}|${b}`) || isCut(a, b)) pairs.push([a, b]);
    }
    // Traffic: messages delivered on each link (both ways) in the last second.
    const traffic = new Map<string, number>();
    for (let i = countAt(time - 1_000_000), last = countAt(time); i < last; i++) {
      const r = records[i]!;
      if ((r.kind !== 'net.deliver' && !(r.kind === 'net.drop' && r.reason === 'node-down')) || r.from === undefined || r.to === undefined) continue;
      const key = r.from < r.to ? `${r.from}|${r.to}` : `${r.to}|${r.from}`;
      // A message that reached a crashed node was recorded delivered, then dropped: it does not count.
      traffic.set(key, (traffic.get(key) ?? 0) + (r.kind === 'net.deliver' ? 1 : -1));
    }
    for (const [a, b] of pairs) {
      const pa = positions.get(a)!;
      const pb = positions.get(b)!;
      const broken = isCut(a, b);
      const count = Math.max(0, traffic.get(`${a}|${b}`) ?? 0);
      const line = svg('line', { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y, class: broken ? 'link cut' : count > 0 ? 'link busy' : 'link', 'data-link': `${a}|${b}` });
      if (!broken && count > 0) line.setAttribute('stroke-width', String(Math.min(8, 2 + Math.log2(count))));
      line.append(svg('title', {}, `${a} <-> ${b}: ${broken ? 'cut; ' : ''}${count} messages delivered in the last second`));
      diagram.append(line);
      const mx = (pa.x + pb.x) / 2;
      const my = (pa.y + pb.y) / 2;
      if (broken) diagram.append(svg('text', { x: mx, y: my + 5, 'text-anchor': 'middle', class: 'cut-mark' }, '\u2702'));
      else if (count > 0) diagram.append(svg('text', { x: mx, y: my - 6, 'text-anchor': 'middle', class: 'traffic' }, `${count}/s`));
    }
    for (const name of nodeNames) {
      const p = positions.get(name)!;
      const status = snapshot.status.get(name) ?? 'not started';
      const group = svg('g', { class: `node ${status.replace(' ', '-')}`, 'data-node': name, 'data-status': status });
      group.append(svg('title', {}, `${name} (${rolesOf(name).join(', ')}): ${status}`));
      group.append(svg('rect', { x: p.x - 62, y: p.y - 24, width: 124, height: 48, rx: 10 }));
      group.append(svg('text', { x: p.x, y: p.y - 4, 'text-anchor': 'middle', class: 'node-name' }, name.length > 16 ? `${name.slice(0, 15)}\u2026` : name));
      group.append(svg('text', { x: p.x, y: p.y + 15, 'text-anchor': 'middle', class: 'node-status' }, status.toUpperCase()));
      const led = leads.get(name);
      if (led) {
        const text = `leads ${led.join(', ')}`;
        group.append(svg('text', { x: p.x, y: p.y + 38, 'text-anchor': 'middle', class: 'node-leads' }, text.length > 24 ? `${text.slice(0, 23)}\u2026` : text));
        group.querySelector('title')!.textContent += `; ${text}`;
      }
      diagram.append(group);
    }
    const list = byId('node-list');
    list.replaceChildren(...nodeNames.map((name) => {
      const status = snapshot.status.get(name) ?? 'not started';
      return el('li', { 'data-node': name, 'data-status': status, class: status.replace(' ', '-') }, `${name} (${rolesOf(name).join(', ')}): ${status}`);
    }));
    const cuts = byId('partitions');
    cuts.replaceChildren(...(snapshot.partitions.length === 0 ? [el('li', { class: 'muted' }, 'no partition: every link is up')] : snapshot.partitions.map((p) => el('li', { class: 'cut-text' }, `cut: ${p.description}`))));
  }

  function drawState(snapshot: Snapshot): void {
    const stores = byId('stores');
    stores.replaceChildren();
    if (snapshot.stores.size === 0) stores.append(el('p', { class: 'muted' }, 'This system keeps no control-plane store (leaders, ISR, routes...) in the trace.'));
    const leadership = leadershipOf(snapshot);
    if (leadership.length > 0) {
      const body = el('tbody');
      for (const l of leadership) body.append(el('tr', {}, el('td', {}, l.what), el('td', {}, l.leader), el('td', {}, l.replicas), el('td', { class: 'muted' }, l.store)));
      stores.append(el('table', { class: 'leaders', id: 'leaders' }, el('thead', {}, el('tr', {}, el('th', {}, 'what'), el('th', {}, 'leader'), el('th', {}, 'in sync / members'), el('th', {}, 'store'))), body));
    }
    for (const [name, store] of snapshot.stores) {
      const text = JSON.stringify(store.state, null, 1) ?? 'none';
      stores.append(el('details', { open: '', 'data-store': name },
        el('summary', {}, `${name}  (last change ${fmt(store.changed)}: ${store.reason})`),
        el('pre', {}, text.length > 6000 ? `${text.slice(0, 6000)}\n...` : text)));
    }
    const gauges = byId('gauges');
    gauges.replaceChildren(...snapshot.gauges.map(([name, value]) => el('div', { class: 'gauge', 'data-gauge': name }, el('span', { class: 'gauge-name' }, name), el('span', { class: 'gauge-value' }, String(value)))));
    const events = byId('events');
    events.replaceChildren(...(snapshot.events.length === 0 ? [el('li', { class: 'muted' }, '(no event yet)')] : snapshot.events.map((r) => el('li', { class: r.kind.replace('.', '-') }, `${fmt(r.t).padStart(9)}  ${describe(r)}`))));
  }

  function drawBacklogChart(): void {
    const chart = byId('backlog-chart');
    const name = data.series.backlog ? 'backlog' : Object.keys(data.series)[0];
    if (name === undefined) { chart.style.display = 'none'; return; }
    const series = data.series[name]!;
    const max = Math.max(1, ...series.map((p) => p.value));
    byId('backlog-label').textContent = `${name} over the run (0 to ${max}; the line is the selected instant)`;
    const points = series.map((p) => `${((p.time / end) * 1000).toFixed(1)},${(95 - (p.value / max) * 85).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, fill: 'none', stroke: '#1565c0', 'stroke-width': 2 }));
    chart.append(svg('line', { id: 'backlog-cursor', x1: 0, x2: 0, y1: 0, y2: 100, stroke: '#111', 'stroke-width': 1.5 }));
  }

  // ---------------------------------------------------------------- time

  function setTime(t: number): void {
    time = Math.max(0, Math.min(end, Math.round(t)));
    scrubber.value = String(time);
    scrubber.setAttribute('aria-valuetext', fmt(time));
    byId('time-label').textContent = fmt(time);
    if (currentStep < 0 || data.steps[currentStep]?.time !== time) {
      // Scrubbed away from the current step: say where the instant sits among the steps.
      let after = -1;
      data.steps.forEach((s, i) => { if (s.time <= time) after = i; });
      byId('step-label').textContent = after < 0 ? `before step 1 of ${data.steps.length}` : `after step ${after + 1} of ${data.steps.length}`;
    }
    document.body.setAttribute('data-time', String(time));
    const x = String((time / end) * 1000);
    for (const id of ['timeline-cursor', 'backlog-cursor']) {
      const cursor = document.getElementById(id);
      cursor?.setAttribute('x1', x);
      cursor?.setAttribute('x2', x);
    }
    const snapshot = snapshotAt(time);
    drawCluster(snapshot);
    drawState(snapshot);
  }

  scrubber.addEventListener('input', () => setTime(Number(scrubber.value)));

  // ---------------------------------------------------------------- steps and questions

  function isRight(question: Question, answer: string): boolean {
    const value = Number(answer.trim());
    return answer.trim() !== '' && Number.isFinite(value) && Math.abs(value - question.answer) <= question.tolerance;
  }

  function drawSteps(): void {
    const list = byId('steps');
    list.replaceChildren();
    data.steps.forEach((step, i) => {
      const card = el('article', { class: 'step', id: `step-${i + 1}`, 'data-step': String(i) });
      const go = el('button', { type: 'button', class: 'go' }, `Go to this step (${fmt(step.time)})`);
      go.addEventListener('click', () => goToStep(i));
      card.append(el('h3', {}, `Step ${i + 1} at ${fmt(step.time)}: ${step.title}`), go);
      if (!step.fired) card.append(el('p', { class: 'muted' }, 'Its condition never held: shown at the end of the run.'));
      card.append(el('p', { class: 'narration' }, step.narration.trim()));
      const reveal = el('div', { class: 'reveal', hidden: '' });
      const q = step.question;
      if (q) {
        const form = el('form', { class: 'question' });
        form.append(el('p', { class: 'prompt' }, el('strong', {}, 'Question: '), q.prompt.trim()));
        if (q.choices) {
          q.choices.forEach((choice, c) => {
            const input = el('input', { type: 'radio', name: `answer-${i}`, value: String(c + 1) });
            form.append(el('label', { class: 'choice' }, input, ` ${c + 1}) ${choice}`));
          });
        } else {
          form.append(el('label', { class: 'number' }, 'Your answer: ', el('input', { type: 'number', name: `answer-${i}`, step: 'any' })));
        }
        const check = el('button', { type: 'submit', class: 'check' }, 'Check my answer');
        const show = el('button', { type: 'button', class: 'show' }, 'Reveal the answer');
        const verdict = el('p', { class: 'verdict', 'aria-live': 'polite' });
        form.append(el('div', { class: 'buttons' }, check, show), verdict);
        const correct = q.choices ? `${q.answer}) ${q.choices[q.answer - 1] ?? ''}` : String(q.answer);
        reveal.append(el('p', { class: 'answer' }, el('strong', {}, 'Answer: '), correct));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const value = q.choices ? (form.querySelector<HTMLInputElement>('input:checked')?.value ?? '') : (form.querySelector<HTMLInputElement>('input[type=number]')?.value ?? '');
          if (value === '') { verdict.textContent = 'Pick an answer first (or reveal it).'; verdict.className = 'verdict'; return; }
          const right = isRight(q, value);
          verdict.textContent = right ? 'Right.' : 'Not quite.';
          verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
          reveal.hidden = false;
        });
        show.addEventListener('click', () => { reveal.hidden = false; });
        card.append(form);
      } else if (step.explanation) {
        const show = el('button', { type: 'button', class: 'show' }, 'Show the explanation');
        show.addEventListener('click', () => { reveal.hidden = false; });
        card.append(el('div', { class: 'buttons' }, show));
      }
      if (step.explanation) reveal.append(el('p', { class: 'explanation' }, step.explanation.trim()));
      if (q || step.explanation) card.append(reveal);
      list.append(card);
    });
  }

  function goToStep(i: number): void {
    if (data.steps.length === 0) return;
    currentStep = Math.max(0, Math.min(data.steps.length - 1, i));
    setTime(data.steps[currentStep]!.time);
    document.querySelectorAll('.step.current').forEach((s) => s.classList.remove('current'));
    const card = document.getElementById(`step-${currentStep + 1}`);
    card?.classList.add('current');
    card?.scrollIntoView({ block: 'nearest' });
    byId('step-label').textContent = `step ${currentStep + 1}/${data.steps.length}`;
  }

  // ---------------------------------------------------------------- message inspector

  let history: { byMsg: Map<string, { record: Rec; op: HistoryOp }[]>; byKey: Map<string, string[]> } | null = null;
  let outcomes: Map<number, Rec> | null = null;

  function historyIndex() {
    if (history) return history;
    const byMsg = new Map<string, { record: Rec; op: HistoryOp }[]>();
    const byKey = new Map<string, string[]>();
    for (const record of records) {
      if (record.kind !== 'history') continue;
      const op = record.data as HistoryOp;
      if (op.msg === undefined) continue;
      let ops = byMsg.get(op.msg);
      if (!ops) {
        byMsg.set(op.msg, (ops = []));
        if (op.key !== undefined) {
          const msgs = byKey.get(op.key) ?? [];
          msgs.push(op.msg);
          byKey.set(op.key, msgs);
        }
      }
      ops.push({ record, op });
    }
    return (history = { byMsg, byKey });
  }

  /**
   * Pairs each net.send with its net.deliver or net.drop: a drop at the send (loss, partition)
   * is the very next record; otherwise links deliver in order, so the oldest message in flight
   * on the link is the one that arrives (exact unless the link reorders or duplicates).
   */
  function networkOutcomes(): Map<number, Rec> {
    if (outcomes) return outcomes;
    outcomes = new Map();
    const inFlight = new Map<string, Rec[]>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const link = `${r.from}|${r.to}`;
      if (r.kind === 'net.send') {
        const next = records[i + 1];
        if (next && next.kind === 'net.drop' && next.t === r.t && next.from === r.from && next.to === r.to && next.type === r.type && (next.reason === 'loss' || next.reason === 'partition')) {
          outcomes.set(r.i, next);
          i++;
          continue;
        }
        const queue = inFlight.get(link) ?? [];
        queue.push(r);
        inFlight.set(link, queue);
      } else if (r.kind === 'net.deliver' || r.kind === 'net.drop') {
        const send = inFlight.get(link)?.shift();
        // A message arriving at a crashed node is recorded as delivered, then dropped (node-down).
        const next = records[i + 1];
        if (r.kind === 'net.deliver' && next && isDropAtNode(r, next)) {
          if (send) outcomes.set(send.i, next);
          i++;
        } else if (send) outcomes.set(send.i, r);
      }
    }
    return outcomes;
  }

  function isDropAtNode(deliver: Rec, next: Rec): boolean {
    return next.kind === 'net.drop' && next.reason === 'node-down' && next.t === deliver.t && next.from === deliver.from && next.to === deliver.to && next.type === deliver.type;
  }

  function mentions(value: unknown, msg: string, depth = 0): boolean {
    if (depth > 4 || value === null || typeof value !== 'object') return false;
    if (Array.isArray(value)) return value.some((v) => (v === msg) || mentions(v, msg, depth + 1));
    const o = value as Record<string, unknown>;
    if (o.msg === msg) return true;
    return Object.values(o).some((v) => typeof v === 'object' && mentions(v, msg, depth + 1));
  }

  function verdictOf(ops: HistoryOp[]): { verdict: 'delivered' | 'lost' | 'duplicated' | 'unknown'; why: string } {
    const acked = ops.find((o) => o.f === 'send' && o.type === 'ok');
    const receives = ops.filter((o) => o.f === 'receive' && o.type === 'ok');
    if (receives.length > 1) return { verdict: 'duplicated', why: `delivered ${receives.length} times (${receives.map((r) => `${fmt(r.time)} to ${r.process}`).join(', ')})` };
    if (receives.length === 1) return { verdict: 'delivered', why: `delivered once, at ${fmt(receives[0]!.time)} to ${receives[0]!.process}` };
    if (acked) return { verdict: 'lost', why: `acked at ${fmt(acked.time)}${acked.node ? ` by ${acked.node}` : ''}${acked.queue ? ` (${acked.queue}${acked.offset !== undefined ? ` offset ${acked.offset}` : ''})` : ''}, never delivered` };
    const outcome = ops.find((o) => o.f === 'send' && o.type !== 'invoke');
    if (outcome?.type === 'fail') return { verdict: 'unknown', why: `the send failed (${outcome.error ?? 'no reason'}) and it was never delivered` };
    if (outcome?.type === 'info') return { verdict: 'unknown', why: `the producer never learnt the outcome (${outcome.error ?? 'info'}) and it was never delivered` };
    return { verdict: 'unknown', why: 'no outcome of its send is in the history, and it was never delivered' };
  }

  function opText(op: HistoryOp): { what: string; where: string } {
    const what = op.f === 'send'
      ? { invoke: 'send (invoke)', ok: 'send ok: acked', fail: 'send failed', info: 'send outcome unknown' }[op.type] ?? `send ${op.type}`
      : op.f === 'receive' ? (op.type === 'ok' ? `received by ${op.process}${op.redelivered ? ' (redelivered)' : ''}` : `receive ${op.type}`)
        : op.f === 'ack' ? (op.type === 'ok' ? `acked by consumer ${op.process}` : `consumer ack ${op.type}`)
          : `${op.f} ${op.type}`;
    const where = [op.process, op.node ? `node ${op.node}` : '', op.queue ?? '', op.offset !== undefined ? `offset ${op.offset}` : '', op.group ? `group ${op.group}` : '', op.error ? `error ${op.error}` : ''].filter((s) => s !== '').join(', ');
    return { what, where };
  }

  function inspect(query: string): void {
    const out = byId('inspector-result');
    out.replaceChildren();
    const text = query.trim();
    if (text === '') return;
    const index = historyIndex();
    const byKey = index.byKey.get(text);
    if (!index.byMsg.has(text) && byKey) {
      out.append(el('p', {}, `Key ${text}: ${byKey.length} message${byKey.length === 1 ? '' : 's'}. Pick one:`));
      const list = el('div', { class: 'msg-list' });
      for (const msg of byKey.slice(0, 300)) {
        const ops = index.byMsg.get(msg)!.map((e) => e.op);
        const v = verdictOf(ops).verdict;
        const button = el('button', { type: 'button', class: `chip verdict-${v}` }, `${msg}: ${v}`);
        button.addEventListener('click', () => { byId<HTMLInputElement>('inspect-input').value = msg; inspect(msg); });
        list.append(button);
      }
      if (byKey.length > 300) list.append(el('span', { class: 'muted' }, ` and ${byKey.length - 300} more`));
      out.append(list);
      return;
    }
    const entries = index.byMsg.get(text);
    if (!entries) {
      const some = [...index.byMsg.keys()].slice(0, 3).join(', ');
      out.append(el('p', { class: 'muted' }, `No message or key "${text}" in this run's history (ids look like ${some}).`));
      return;
    }
    const ops = entries.map((e) => e.op);
    const { verdict, why } = verdictOf(ops);
    out.append(el('p', { class: 'verdict-line' }, el('span', { class: `badge verdict-${verdict}`, id: 'inspector-verdict' }, verdict), ` ${text}${ops[0]?.key ? ` (key ${ops[0].key})` : ''}: ${why}`));
    const rows: { t: number; i: number; what: string; where: string; cls: string }[] = entries.map(({ record, op }) => ({ t: record.t, i: record.i, ...opText(op), cls: `history ${op.f}-${op.type}` }));
    const paired = networkOutcomes();
    for (const record of records) {
      if (record.kind !== 'net.send' || !mentions(record.payload, text)) continue;
      rows.push({ t: record.t, i: record.i, what: `${record.type} sent`, where: `${record.from} -> ${record.to}`, cls: 'net send' });
      const outcome = paired.get(record.i);
      if (outcome) rows.push({ t: outcome.t, i: outcome.i, what: outcome.kind === 'net.drop' ? `${outcome.type} dropped (${outcome.reason})` : `${outcome.type} arrived`, where: `${outcome.from} -> ${outcome.to}`, cls: outcome.kind === 'net.drop' ? 'net drop' : 'net deliver' });
    }
    // A lost message's evidence: what happened to the node that acked it, after the ack.
    const acked = ops.find((o) => o.f === 'send' && o.type === 'ok');
    if (verdict === 'lost' && acked?.node !== undefined) {
      const hit = control.find((r) => r.t >= acked.time && r.node === acked.node && (r.kind === 'node.crash' || r.kind === 'node.pause'));
      if (hit) rows.push({ t: hit.t, i: hit.i, what: `${hit.node} ${hit.kind === 'node.crash' ? 'crashed' : 'paused'} after acking it`, where: hit.node, cls: 'evidence' });
    }
    rows.sort((a, b) => a.t - b.t || a.i - b.i);
    const body = el('tbody');
    for (const row of rows) {
      const go = el('button', { type: 'button', class: 'time-link' }, fmt(row.t));
      go.addEventListener('click', () => setTime(row.t));
      body.append(el('tr', { class: row.cls }, el('td', {}, go), el('td', {}, row.what), el('td', {}, row.where)));
    }
    out.append(el('table', { class: 'journey', id: 'journey' }, el('thead', {}, el('tr', {}, el('th', {}, 'time'), el('th', {}, 'what'), el('th', {}, 'where'))), body));
    out.append(el('p', { class: 'muted' }, 'History records are what the clients saw; network records are the message\'s protocol messages, each send paired with its arrival or drop by link order. Click a time to see the cluster then.'));
  }

  byId('inspector-form').addEventListener('submit', (event) => {
    event.preventDefault();
    inspect(byId<HTMLInputElement>('inspect-input').value);
  });

  // ---------------------------------------------------------------- large type, print, keys

  function toggleLarge(): void {
    const on = document.body.classList.toggle('large');
    byId('large-toggle').setAttribute('aria-pressed', String(on));
  }
  byId('large-toggle').addEventListener('click', toggleLarge);
  byId('print-button').addEventListener('click', () => window.print());
  byId('prev-step').addEventListener('click', () => previousStep());
  byId('next-step').addEventListener('click', () => nextStep());
  byId('back-time').addEventListener('click', () => setTime(time - 100_000));
  byId('forward-time').addEventListener('click', () => setTime(time + 100_000));

  function nextStep(): void {
    const next = currentStep >= 0 && data.steps[currentStep]?.time === time ? currentStep + 1 : data.steps.findIndex((s) => (currentStep < 0 ? s.time >= time : s.time > time));
    goToStep(next < 0 ? data.steps.length - 1 : next);
  }

  function previousStep(): void {
    let previous = -1;
    data.steps.forEach((s, i) => { if (s.time < time) previous = i; });
    if (currentStep >= 0 && data.steps[currentStep]?.time === time) previous = currentStep - 1;
    goToStep(Math.max(0, previous));
  }

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    const typing = (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'range' && (target as HTMLInputElement).type !== 'radio') || target.tagName === 'TEXTAREA';
    if (typing) {
      if (event.key === 'Escape') target.blur();
      return;
    }
    // Arrows on a radio button pick a choice, as usual.
    if ((target as HTMLInputElement).type === 'radio' && event.key.startsWith('Arrow')) return;
    const step = event.shiftKey ? 1_000_000 : 100_000;
    switch (event.key) {
      case 'ArrowLeft': setTime(time - step); break;
      case 'ArrowRight': setTime(time + step); break;
      case 'Home': setTime(0); break;
      case 'End': setTime(end); break;
      case 'n': nextStep(); break;
      case 'p': previousStep(); break;
      case '/': byId('inspect-input').focus(); break;
      case 'l': toggleLarge(); break;
      default: return;
    }
    event.preventDefault();
  });

  // ---------------------------------------------------------------- start

  /** For tests and the curious (devtools console): the page's own pieces. */
  (window as unknown as { mqsimDrill: unknown }).mqsimDrill = { applyPatches, setTime, goToStep, inspect, snapshotAt: (t: number) => { const s = snapshotAt(t); return { status: Object.fromEntries(s.status), partitions: s.partitions, stores: Object.fromEntries([...s.stores].map(([k, v]) => [k, v.state])), gauges: Object.fromEntries(s.gauges) }; } };

  drawTimeline();
  drawBacklogChart();
  drawSteps();
  setTime(0);
  document.body.setAttribute('data-ready', 'true');
})();
