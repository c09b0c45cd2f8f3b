import { formatTimestamp, parseDuration } from '../sim/time.js';
import { isRight, snapshotAt, type DrillRun, type DrillStep, type Snapshot } from './engine.js';

/**
 * The drill in a terminal: each step shows the cluster (nodes, partitions, control-plane state,
 * gauges), the latest events as a packet-capture list, the narration, then the question; the
 * student answers and sees right/wrong and the explanation. Commands between steps: n(ext),
 * b(ack), j(ump) <time>, q(uit). Works on a dumb terminal and without colour.
 */
export interface DrillIo {
  write(text: string): void;
  /** Reads one line (without the newline), or null at end of input. */
  readLine(prompt: string): Promise<string | null>;
  color: boolean;
  /** The terminal's width: narration, questions and explanations wrap to it (default 80). */
  width?: number;
}

export interface PlayOptions {
  /** Scripted answers, in question order (`--answers 1,3,12`). */
  answers?: string[];
  /** Never read the keyboard: scripted answers (if any) and straight through. */
  interactive: boolean;
}

export interface Score {
  right: number;
  questions: number;
  answers: { step: number; given: string | null; right: boolean }[];
}

/**
 * Why a scripted answer cannot be graded (not a number, or no such choice), or null. Interactive
 * answers like these are asked again; `--answers` is checked before the drill starts.
 */
export function answerProblem(step: DrillStep, answer: string): string | null {
  const question = step.question;
  if (!question) return null;
  const text = answer.trim();
  if (question.choices) {
    const n = question.choices.length;
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > n) return `answer with a number from 1 to ${n}`;
    return null;
  }
  return text !== '' && Number.isFinite(Number(text)) ? null : 'answer with a number';
}

/** Wraps text to `width` columns at spaces, keeping its line breaks and each line's indent. */
export function wrap(text: string, width: number): string {
  const limit = Math.max(20, width);
  return text.split('\n').map((line) => {
    if (line.length <= limit) return line;
    const indent = /^\s*(?:[-*]\s+|\d+\)\s+)?/.exec(line)![0];
    const hanging = ' '.repeat(indent.length);
    const out: string[] = [];
    let current = indent;
    for (const word of line.slice(indent.length).split(/\s+/).filter((w) => w !== '')) {
      const prefix = out.length === 0 ? indent : hanging;
      if (current.length > prefix.length && current.length + 1 + word.length > limit) {
        out.push(current);
        current = hanging + word;
      } else {
        current += (current.length > prefix.length ? ' ' : '') + word;
      }
    }
    out.push(current);
    return out.join('\n');
  }).join('\n');
}

export async function playDrill(run: DrillRun, io: DrillIo, options: PlayOptions): Promise<Score> {
  const paint = (code: number, text: string) => (io.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = (t: string) => paint(1, t);
  const width = io.width ?? 80;
  const scripted = [...(options.answers ?? [])];
  const given = new Map<number, { given: string | null; right: boolean }>();
  io.write(`${bold(run.spec.title)}\n${run.scenario.name} (${run.scenario.system}, seed ${run.result.seed})\n\nGoals:\n`);
  for (const goal of run.spec.goals) io.write(`${wrap(`  - ${goal}`, width)}\n`);
  const end = run.result.virtualTime;
  let index = 0;
  while (index < run.steps.length) {
    const step = run.steps[index]!;
    io.write(`\n${bold(`== Step ${index + 1}/${run.steps.length} at ${formatTimestamp(step.time)}: ${step.title} ==`)}${step.fired ? '' : ' (its condition never held: shown at the end of the run)'}\n`);
    io.write(renderSnapshot(snapshotAt(run, step.time)));
    io.write(`\n${wrap(step.narration.trim(), width)}\n`);
    if (step.question) {
      let outcome = given.get(index);
      if (!outcome) {
        const q = step.question;
        io.write(`\n${wrap(`${bold('Question:')} ${q.prompt.trim()}`, width + (io.color ? 8 : 0))}\n`);
        q.choices?.forEach((choice, i) => io.write(`${wrap(`  ${i + 1}) ${choice}`, width)}\n`));
        let answer: string | null = scripted.length > 0 ? scripted.shift()! : null;
        while (answer === null && options.interactive) {
          answer = await io.readLine(q.choices ? `answer (1-${q.choices.length})> ` : 'answer (a number)> ');
          if (answer === null) break;
          const problem = answerProblem(step, answer);
          if (problem !== null) {
            io.write(`${problem}\n`);
            answer = null;
          }
        }
        if (answer !== null && !options.interactive) io.write(`answer> ${answer}\n`);
        outcome = { given: answer, right: answer !== null && isRight(step, answer) };
        given.set(index, outcome);
        const correct = q.choices ? `${q.answer}) ${q.choices[q.answer - 1]}` : String(q.answer);
        io.write(outcome.right ? `${paint(32, 'Right.')}\n` : `${paint(31, answer === null ? 'No answer.' : 'Not quite.')} The answer: ${correct}\n`);
      } else {
        io.write(`\n(answered: ${outcome.given ?? 'no answer'}, ${outcome.right ? 'right' : 'wrong'})\n`);
      }
    }
    if (step.explanation) io.write(`\n${wrap(step.explanation.trim(), width)}\n`);
    if (!options.interactive) {
      index++;
      continue;
    }
    // After a jump, n and b move from where the jump landed, not from the step shown before it.
    let at = step.time;
    let command = await readCommand(io, run, end);
    while (command.kind === 'jump') {
      at = command.time;
      command = await readCommand(io, run, end);
    }
    if (command.kind === 'quit') break;
    if (at === step.time) {
      if (command.kind === 'back') index = Math.max(0, index - 1);
      else index++;
    } else if (command.kind === 'next') {
      const later = run.steps.findIndex((s) => s.time > at);
      index = later === -1 ? run.steps.length : later;
    } else {
      let earlier = 0;
      run.steps.forEach((s, i) => {
        if (s.time < at) earlier = i;
      });
      index = earlier;
    }
  }
  const answers = run.steps.flatMap((step, i) => (step.question ? [{ step: i + 1, ...(given.get(i) ?? { given: null, right: false }) }] : []));
  const score: Score = { right: answers.filter((a) => a.right).length, questions: answers.length, answers };
  io.write(`\n${bold(`Score: ${score.right}/${score.questions}`)}\n`);
  return score;
}

type Command = { kind: 'next' | 'back' | 'quit' } | { kind: 'jump'; time: number };

async function readCommand(io: DrillIo, run: DrillRun, end: number): Promise<Command> {
  for (;;) {
    const line = await io.readLine('[n]ext [b]ack [j]ump <time> [q]uit> ');
    if (line === null) return { kind: 'quit' };
    const [word, arg] = line.trim().split(/\s+/);
    if (word === '' || word === 'n' || word === 'next') return { kind: 'next' };
    if (word === 'b' || word === 'back') return { kind: 'back' };
    if (word === 'q' || word === 'quit') return { kind: 'quit' };
    if (word === 'j' || word === 'jump') {
      let time: number;
      try {
        time = parseDuration(arg ?? '');
      } catch (error) {
        io.write(`jump needs a time such as 12s: ${(error as Error).message}\n`);
        continue;
      }
      const clamped = Math.min(time, end);
      const note = clamped < time ? ` (the run ends at ${formatTimestamp(end)})` : '';
      io.write(`\n== ${formatTimestamp(clamped)}${note} ==\n${renderSnapshot(snapshotAt(run, clamped))}`);
      return { kind: 'jump', time: clamped };
    }
    io.write('n, b, j <time> or q\n');
  }
}

/** The compact cluster diagram. */
export function renderSnapshot(snapshot: Snapshot): string {
  const lines: string[] = [];
  const mark = { up: 'UP', down: 'DOWN', paused: 'PAUSED', 'not started': '-' } as const;
  lines.push('cluster:');
  lines.push('  ' + snapshot.nodes.map((n) => `${n.name} [${mark[n.status]}]`).join('  '));
  for (const partition of snapshot.partitions) lines.push(`  cut: ${partition}`);
  for (const [store, state] of Object.entries(snapshot.stores)) lines.push(...renderStore(store, state));
  // Running totals are for charts; the diagram shows what is queued now.
  const gauges = Object.entries(snapshot.gauges).filter(([name]) => name !== 'nodes.up' && !name.startsWith('total.'));
  if (gauges.length > 0) lines.push('  ' + gauges.map(([name, value]) => `${name}=${value}`).join('  '));
  lines.push('recent events:');
  if (snapshot.events.length === 0) lines.push('  (none yet)');
  for (const event of snapshot.events) lines.push(`  ${event}`);
  return lines.join('\n') + '\n';
}

/**
 * A store as a few lines: scalar fields on one line, then one line per entry of each map-like
 * field (per partition, per group...), e.g. `  partitions orders-0: leader=broker-1 isr=[broker-1]`.
 */
function renderStore(store: string, state: unknown): string[] {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return [`  ${store}: ${compact(state)}`];
  const scalars: string[] = [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(state as Record<string, unknown>)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      const isMap = entries.length > 0 && entries.every(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
      if (!isMap) {
        lines.push(`    ${key}: ${fields(value)}`); // a record (a group's state): one line
        continue;
      }
      for (const [name, entry] of entries.slice(0, 12)) lines.push(`    ${key} ${name}: ${fields(entry)}`);
      if (entries.length > 12) lines.push(`    ${key}: ${entries.length - 12} more`);
    } else {
      scalars.push(`${key}=${compactValue(value)}`);
    }
  }
  return [`  ${store}:${scalars.length > 0 ? ` ${scalars.join(' ')}` : ''}`, ...lines];
}

function fields(entry: unknown): string {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return compactValue(entry);
  return Object.entries(entry as Record<string, unknown>).map(([k, v]) => `${k}=${compactValue(v)}`).join(' ');
}

function compactValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') return compact(value);
  return String(value);
}

function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? 'none';
  return text.length > 200 ? text.slice(0, 197) + '...' : text;
}

export type { DrillStep };
