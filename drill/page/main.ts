import '../../scenario-sections.js';
import { runDrill, snapshotAt, type DrillRun, type DrillStep } from '../engine.js';
import { loadScenario } from '../../models/scenario.js';
import { clusterView } from '../view/cluster.js';
import type { ClusterView } from '../view/model.js';
import { GLOSSARY } from '../view/glossary.js';
import { JourneyIndex } from '../view/journey.js';
import { seconds } from '../view/model.js';
import { faultBands, type FaultBand } from '../view/timeline.js';
import { renderDiagram } from './diagram.js';
import { clear, h, withTerms } from './dom.js';
import { Inspector } from './inspector.js';
import { renderTimeline } from './timeline.js';

/**
 * The drill page's script. The page carries the scenario text, not its trace: on load the page
 * runs the same engine and models as `mqsim drill` (bundled by esbuild), gets the same trace (the
 * kernel is deterministic; the page shows its trace hash, which equals `mqsim run`'s), and from
 * then on only reads it. Step k shows the cluster as it was at step k's time and step k's
 * narration and question; nothing from a later step is in the page until the class gets there,
 * and an answer only after Reveal.
 */

interface Page {
  run: DrillRun;
  bands: FaultBand[];
  journeys: JourneyIndex;
  inspector: Inspector;
  step: number;
  revealed: Set<number>;
}

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

function boot(): void {
  const data = $('#drill-scenario');
  const bytes = Uint8Array.from(atob(data.textContent!.trim()), (c) => c.charCodeAt(0));
  const text = new TextDecoder().decode(bytes);
  let run: DrillRun;
  try {
    run = runDrill(loadScenario(text, { file: data.getAttribute('data-file') ?? 'drill.yaml' }));
  } catch (error) {
    clear($('[data-role="narration"]'), h('p', { class: 'error' }, `This drill could not be simulated: ${(error as Error).message}`));
    throw error;
  }
  const brokers = new Set(run.result.nodes.filter((n) => n.roles.includes('broker')).map((n) => n.name));
  const journeys = new JourneyIndex(run.records, brokers);
  const example = [...journeys.messages.keys()][0];
  const page: Page = {
    run,
    bands: faultBands(run.records, run.result.nodes, run.result.virtualTime),
    journeys,
    inspector: new Inspector($('[data-role="inspector"]'), journeys, example),
    step: 0,
    revealed: new Set(),
  };
  document.body.dataset.traceHash = run.result.traceHash;
  // The same hash as `mqsim run FILE --json` prints: hover the subtitle to compare.
  $('.sub').title = `trace hash ${run.result.traceHash} (as mqsim run prints it)`;
  wire(page);
  show(page, 0);
  (globalThis as unknown as { mqsimDrill: unknown }).mqsimDrill = { traceHash: run.result.traceHash, steps: run.steps.length, go: (k: number) => show(page, k) };
  document.body.dataset.ready = 'true';
}

function timeOf(page: Page, step: number): number {
  return step === 0 ? 0 : page.run.steps[step - 1]!.time;
}

function show(page: Page, step: number): void {
  const last = page.run.steps.length;
  page.step = Math.max(0, Math.min(last, step));
  const now = timeOf(page, page.step);
  const current = page.step === 0 ? undefined : page.run.steps[page.step - 1];
  document.body.dataset.step = String(page.step);
  document.body.dataset.time = String(now);
  const snapshot = snapshotAt(page.run, now);
  const final = page.step === last && (!current || page.revealed.has(page.step) || !hasAnswer(current));
  // Header: where we are and the counts so far (never the run's final counts before the end).
  $('#where').textContent = page.step === 0 ? `Start · ${last} steps` : `Step ${page.step} of ${last} · ${seconds(now)}`;
  const g = snapshot.gauges;
  const counts = page.run.result.counts as unknown as Record<string, number>;
  clear(
    $('#counts'),
    count('sent', g['total.sent']),
    count('acknowledged', g['total.acked']),
    count('delivered', g['total.delivered']),
    final ? count('lost', counts.lostAcked, 'bad') : null,
    final ? count('duplicates', counts.duplicateDeliveries, 'warn') : null,
  );
  // The diagram at this instant.
  const diagram = $('[data-role="diagram"]');
  fit(diagram, clusterView({ system: page.run.scenario.system, records: page.run.records, nodes: page.run.result.nodes, time: now, gauges: snapshot.gauges, stores: snapshot.stores }));
  renderText(page, current);
  fitText($('.text'));
  renderTimelineNow(page);
  // Once the drill is over and its last answer shown, the inspector tells each message's whole story (to the end of the run's drain).
  if (!$('[data-role="inspector"]').hidden) page.inspector.update({ now: final ? page.run.result.virtualTime : now, faults: page.bands, final });
  ($('[data-role="prev"]') as HTMLButtonElement).disabled = page.step === 0;
  ($('[data-role="next"]') as HTMLButtonElement).disabled = page.step === last;
}

function count(label: string, value: number | undefined, tone = ''): HTMLElement {
  return h('span', { class: `count ${tone}` }, h('b', {}, String(value ?? 0)), ` ${label}`);
}

function hasAnswer(step: DrillStep): boolean {
  return step.question !== undefined || step.explanation !== undefined;
}

/** Narration, question and (after Reveal) the answer of the current step; the goals at the start. */
function renderText(page: Page, step: DrillStep | undefined): void {
  const narration = $('[data-role="narration"]');
  const question = $('[data-role="question"]');
  const answer = $('[data-role="answer"]');
  const reveal = $('[data-role="reveal"]') as HTMLButtonElement;
  const seen = new Set<string>();
  if (!step) {
    const { spec, scenario } = page.run;
    clear(narration, h('h2', {}, spec.title), scenario.description ? h('p', {}, withTerms(scenario.description.trim(), seen)) : null);
    clear(question, h('h3', {}, 'In this drill you will'), h('ul', {}, spec.goals.map((goal) => h('li', {}, withTerms(goal, seen)))), h('p', { class: 'muted' }, 'Press Next (or →) to start.'));
    clear(answer);
    answer.hidden = true;
    reveal.disabled = true;
    return;
  }
  clear(narration, h('h2', {}, `${step.index + 1}. ${step.title}`), h('p', {}, withTerms(step.narration.trim(), seen)), step.fired ? null : h('p', { class: 'muted' }, 'This step\'s condition never happened in the run; it is shown at the end.'));
  const revealed = page.revealed.has(step.index + 1);
  const q = step.question;
  if (q) {
    clear(
      question,
      h('h3', {}, 'Question'),
      h('p', {}, withTerms(q.prompt.trim(), seen)),
      q.choices ? h('ol', { class: 'choices' }, q.choices.map((choice, i) => h('li', { class: revealed && i + 1 === q.answer ? 'right' : '' }, withTerms(choice.trim(), seen)))) : h('p', { class: 'muted' }, 'Answer with a number.'),
    );
  } else {
    clear(question, h('p', { class: 'muted' }, hasAnswer(step) ? 'No question here: discuss what you see, then reveal the explanation.' : 'No question here: discuss what you see, then press Next.'));
  }
  if (revealed) {
    const right = q ? (q.choices ? `${q.answer}. ${q.choices[q.answer - 1]!.trim()}` : `${q.answer}${q.tolerance ? ` (± ${q.tolerance})` : ''}`) : undefined;
    clear(answer, right ? h('p', { class: 'answer-line' }, h('b', {}, 'Answer: '), right) : null, step.explanation ? h('p', {}, withTerms(step.explanation.trim(), seen)) : null);
    answer.hidden = false;
  } else {
    clear(answer);
    answer.hidden = true;
  }
  reveal.disabled = revealed || !hasAnswer(step);
}

function renderTimelineNow(page: Page): void {
  const timeline = $('[data-role="timeline"]');
  const width = timeline.clientWidth - 32;
  const marker = Math.round(parseFloat(getComputedStyle(timeline).fontSize) * 2.1);
  clear(timeline, renderTimeline({ width, end: page.run.result.virtualTime, now: timeOf(page, page.step), bands: page.bands, steps: page.run.steps, current: page.step, marker, onStep: (k) => show(page, k) }));
}

/**
 * Draws the diagram so that it fits its pane without scrolling: as strips with log bars, else as
 * one table line per strip, else also without the clients' detail lines, and then with smaller
 * type, down to 14 px and never below (the size a projected label stays readable at).
 */
function fit(diagram: HTMLElement, view: ClusterView): void {
  diagram.style.fontSize = '';
  const base = parseFloat(getComputedStyle(diagram).fontSize);
  const overflows = (e: Element) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1;
  const fits = () => !overflows(diagram) && ![...diagram.querySelectorAll('.box, .client-cell')].some(overflows);
  for (const mode of ['roomy', 'compact', 'tight'] as const) {
    diagram.className = `diagram ${mode}`;
    clear(diagram, renderDiagram(view, mode !== 'roomy'));
    if (fits()) return;
  }
  for (let size = base - 1; size >= MIN_LABEL_PX; size--) {
    diagram.style.fontSize = `${size}px`;
    if (fits()) return;
  }
}

/**
 * Makes the narration, question and answer fit their column: smaller type step by step, down to
 * TEXT_FLOOR of the chosen size (large type stays larger than normal type); past that the
 * narration scrolls inside its box and the question stays in view.
 */
function fitText(column: HTMLElement): void {
  column.style.fontSize = '';
  const base = parseFloat(getComputedStyle(column).fontSize);
  for (let size = base; size >= Math.round(base * TEXT_FLOOR); size--) {
    column.style.fontSize = `${size}px`;
    if (column.scrollHeight <= column.clientHeight + 1) return;
  }
}

const TEXT_FLOOR = 0.8;

/** The smallest text the diagram may use. */
const MIN_LABEL_PX = 14;

function wire(page: Page): void {
  const next = () => show(page, page.step + 1);
  const prev = () => show(page, page.step - 1);
  const reveal = () => {
    if (page.step === 0) return;
    page.revealed.add(page.step);
    show(page, page.step);
  };
  const inspectorPane = $('[data-role="inspector"]');
  const toggleInspector = (open = inspectorPane.hidden) => {
    inspectorPane.hidden = !open;
    $('#inspect-toggle').setAttribute('aria-pressed', String(open));
    if (open) {
      show(page, page.step);
      ($('#inspect-input') as HTMLInputElement).focus();
    }
  };
  const toggleLarge = () => {
    const large = document.body.classList.toggle('large');
    $('#large-toggle').setAttribute('aria-pressed', String(large));
    show(page, page.step);
  };
  $('[data-role="next"]').addEventListener('click', next);
  $('[data-role="prev"]').addEventListener('click', prev);
  $('[data-role="reveal"]').addEventListener('click', reveal);
  $('#inspect-toggle').addEventListener('click', () => toggleInspector());
  $('#inspect-close').addEventListener('click', () => toggleInspector(false));
  $('#large-toggle').addEventListener('click', toggleLarge);
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey || event.metaKey) return;
    const keys: Record<string, () => void> = { ArrowRight: next, n: next, PageDown: next, ArrowLeft: prev, p: prev, PageUp: prev, r: reveal, l: toggleLarge, i: () => toggleInspector(), Escape: () => toggleInspector(false), Home: () => show(page, 0), End: () => show(page, page.run.steps.length) };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
  window.addEventListener('resize', () => show(page, page.step));
  // The glossary: one tooltip, shown under a term on hover or focus (a tap focuses it).
  const tip = $('#tip');
  const showTip = (event: Event) => {
    const target = (event.target as HTMLElement).closest?.('.term') as HTMLElement | null;
    if (!target) return;
    const name = target.getAttribute('data-term')!;
    clear(tip, h('b', {}, name), ' ', GLOSSARY[name] ?? '');
    tip.hidden = false;
    const box = target.getBoundingClientRect();
    const left = Math.min(box.left, window.innerWidth - tip.offsetWidth - 8);
    const below = box.bottom + 6 + tip.offsetHeight < window.innerHeight;
    tip.style.left = `${Math.max(8, left)}px`;
    tip.style.top = `${below ? box.bottom + 6 : box.top - tip.offsetHeight - 6}px`;
  };
  const hideTip = (event: Event) => {
    if ((event.target as HTMLElement).closest?.('.term')) tip.hidden = true;
  };
  document.addEventListener('mouseover', showTip);
  document.addEventListener('focusin', showTip);
  document.addEventListener('mouseout', hideTip);
  document.addEventListener('focusout', hideTip);
}

// Let the "simulating" message paint before the simulation takes the main thread.
setTimeout(boot, 0);
