import type { Micros } from '../../sim/time.js';
import type { FaultBand } from '../view/timeline.js';
import { h } from './dom.js';

/**
 * The timeline under the page: time ticks with labels, the faults as shaded bands over the time
 * they last (stacked in lanes so two faults at once stay readable), and a numbered marker per
 * step. Only the past is drawn: bands and markers up to the current step, the rest of the run
 * greyed as "later", so the timeline gives nothing away. Positions are computed in pixels for
 * the current width so markers and labels never overlap.
 */
export interface TimelineInput {
  width: number;
  end: Micros;
  now: Micros;
  bands: readonly FaultBand[];
  steps: readonly { index: number; time: Micros }[];
  current: number;
  /** A step marker's width in pixels (it grows with the type). */
  marker: number;
  onStep: (step: number) => void;
}

const TICK_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800];

export function renderTimeline(input: TimelineInput): HTMLElement[] {
  const { width, end, now, marker: MARKER } = input;
  const x = (t: Micros) => (Math.min(t, end) / Math.max(end, 1)) * width;
  // Bands: only those begun by now, cut at now; lanes so that overlapping bands stack.
  const lanes: number[] = [];
  const bands = input.bands
    .filter((b) => b.start <= now)
    .map((b) => {
      const left = x(b.start);
      const right = Math.max(left + 6, x(Math.min(b.end, now)));
      let lane = lanes.findIndex((until) => until <= left);
      if (lane < 0) lane = lanes.push(0) - 1;
      lanes[lane] = right + 4;
      const ongoing = b.end > now;
      return h('div', { class: `band band-${b.kind}${ongoing ? ' ongoing' : ''}`, style: `left:${left}px;width:${right - left}px;top:${lane * 1.6}em`, title: b.label, 'data-fault': b.label }, right - left > 48 ? b.short : '');
    });
  const track = h(
    'div',
    { class: 'tl-track', style: `height:${Math.max(1, lanes.length) * 1.6}em` },
    h('div', { class: 'tl-later', style: `left:${x(now)}px;width:${Math.max(0, width - x(now))}px` }, width - x(now) > 80 ? 'later' : ''),
    bands,
    h('div', { class: 'tl-now', style: `left:${x(now)}px` }),
  );
  // Step markers: the steps reached so far, pushed right to stay MARKER px apart.
  const shown = input.steps.filter((s) => s.index < input.current);
  const places: number[] = [];
  for (const s of shown) places.push(Math.max(x(s.time) - MARKER / 2, (places[places.length - 1] ?? -Infinity) + MARKER + 4, 0));
  for (let i = places.length - 1; i >= 0; i--) places[i] = Math.min(places[i]!, width - MARKER - (places.length - 1 - i) * (MARKER + 4));
  const markers = h(
    'div',
    { class: 'tl-steps' },
    shown.map((s, i) =>
      h('button', { type: 'button', class: `tl-step${s.index + 1 === input.current ? ' current' : ''}`, style: `left:${places[i]}px;width:${MARKER}px;height:${MARKER - 2}px;border-radius:${MARKER / 2}px`, title: `step ${s.index + 1}`, 'data-step-marker': s.index + 1 }, String(s.index + 1)),
    ),
  );
  markers.addEventListener('click', (event) => {
    const target = (event.target as HTMLElement).closest('[data-step-marker]');
    if (target) input.onStep(Number(target.getAttribute('data-step-marker')));
  });
  // Ticks: the smallest round interval that leaves room for labels like "150 min" (six type sizes) between them.
  const seconds = end / 1_000_000;
  const spacing = MARKER * 3;
  const interval = TICK_STEPS.find((s) => (s / Math.max(seconds, 0.001)) * width >= spacing) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const ticks: HTMLElement[] = [];
  for (let s = 0; s <= seconds + 1e-9; s += interval) {
    const left = x(s * 1_000_000);
    if (left > width - spacing / 2 && s > 0) break;
    ticks.push(h('div', { class: 'tick', style: `left:${left}px` }, h('span', {}, formatTick(s))));
  }
  return [track, markers, h('div', { class: 'tl-axis' }, ticks)];
}

function formatTick(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 120 && s % 60 === 0) return `${s / 60} min`;
  return `${Number(s.toFixed(1))} s`;
}
