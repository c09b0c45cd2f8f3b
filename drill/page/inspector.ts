import type { Micros } from '../../sim/time.js';
import type { JourneyIndex } from '../view/journey.js';
import { seconds } from '../view/model.js';
import type { FaultBand } from '../view/timeline.js';
import { clear, h, withTerms } from './dom.js';

/**
 * The message inspector: type a message id (p1-42) or a key (key-5), or click one of the messages
 * the summary lists, and read its journey in plain words up to the current step. The summary lists
 * the messages delivered more than once so far; the lost ones only once the drill is over and its
 * last answer revealed (before that, "lost" would give the answer away).
 */
export interface InspectorState {
  now: Micros;
  faults: readonly FaultBand[];
  /** The drill is over and its last answer shown: final verdicts (lost) may be shown. */
  final: boolean;
}

export class Inspector {
  private selected: string | null = null;
  private state: InspectorState = { now: 0, faults: [], final: false };
  private readonly input: HTMLInputElement;
  private readonly result: HTMLElement;
  private readonly summary: HTMLElement;

  constructor(readonly root: HTMLElement, private readonly index: JourneyIndex, example: string | undefined) {
    this.input = h('input', { type: 'search', id: 'inspect-input', placeholder: example ? `message id (e.g. ${example}) or key` : 'message id or key', 'aria-label': 'message id or key', autocomplete: 'off' });
    const form = h('form', { class: 'inspect-form' }, this.input, h('button', { type: 'submit' }, 'Inspect'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.select(this.input.value.trim());
    });
    this.summary = h('div', { class: 'inspect-summary' });
    this.result = h('div', { class: 'inspect-result', 'aria-live': 'polite' });
    root.append(form, this.summary, this.result);
    root.addEventListener('click', (event) => {
      const pick = (event.target as HTMLElement).closest('[data-msg]');
      if (pick) this.select(pick.getAttribute('data-msg')!);
      // A cause points at its band on the timeline.
      const cause = (event.target as HTMLElement).closest('[data-cause]');
      if (cause) {
        for (const band of document.querySelectorAll('.band')) band.classList.toggle('flash', band.getAttribute('data-fault') === cause.getAttribute('data-cause'));
      }
    });
  }

  update(state: InspectorState): void {
    this.state = state;
    this.renderSummary();
    this.renderResult();
  }

  select(query: string): void {
    this.selected = query;
    this.input.value = query;
    this.renderResult();
  }

  private renderSummary(): void {
    const { now, faults, final } = this.state;
    const duplicated: string[] = [];
    const lost: string[] = [];
    for (const id of this.index.messages.keys()) {
      const j = this.index.journey(id, now, faults, final)!;
      if (j.verdict === 'duplicated') duplicated.push(id);
      else if (j.verdict === 'lost') lost.push(id);
    }
    const list = (label: string, ids: string[], cls: string) =>
      h('div', { class: 'msg-list' }, h('span', {}, `${label} (${ids.length}): `), ids.slice(0, 12).map((id) => h('button', { type: 'button', class: `chip ${cls}`, 'data-msg': id }, id)), ids.length > 12 ? h('span', {}, ` and ${ids.length - 12} more`) : null);
    clear(
      this.summary,
      duplicated.length > 0 ? list('Delivered more than once so far', duplicated, 'dup') : h('p', { class: 'muted' }, 'No message delivered twice so far.'),
      final ? (lost.length > 0 ? list('Lost: acknowledged, never delivered', lost, 'lost') : h('p', { class: 'muted' }, 'No acknowledged message was lost.')) : h('p', { class: 'muted' }, 'Lost messages are listed once the last answer is revealed.'),
    );
  }

  private renderResult(): void {
    const query = this.selected;
    if (!query) {
      clear(this.result, h('p', { class: 'muted' }, 'Pick a message above, or type an id or a key.'));
      return;
    }
    const byKey = this.index.byKey.get(query);
    if (!this.index.messages.has(query) && byKey) {
      const sent = byKey.filter((id) => (this.index.messages.get(id)?.events[0]?.t ?? Infinity) <= this.state.now);
      clear(this.result, h('p', {}, `Key ${query}: ${sent.length} message(s) sent so far.`), h('div', { class: 'msg-list' }, sent.slice(0, 40).map((id) => h('button', { type: 'button', class: 'chip', 'data-msg': id }, id))));
      return;
    }
    const journey = this.index.journey(query, this.state.now, this.state.faults, this.state.final);
    if (!journey) {
      clear(this.result, h('p', {}, `No message or key "${query}" in this drill.`));
      return;
    }
    clear(
      this.result,
      h('p', { class: `verdict-line verdict-${journey.verdict}` }, h('b', { id: 'inspector-verdict' }, journey.verdict), ` · ${journey.id}${journey.key ? ` (key ${journey.key})` : ''}: ${journey.status}`),
      journey.causes.length > 0
        ? h('p', { class: 'causes' }, 'Faults that hit a node holding it: ', journey.causes.flatMap((c, i) => [i > 0 ? '; ' : '', h('button', { type: 'button', class: 'cause', 'data-cause': c.fault, title: 'show it on the timeline' }, c.text)]))
        : null,
      h('ol', { class: 'journey' }, journey.events.map((e) => h('li', { class: e.tone ?? '' }, h('span', { class: 'when' }, seconds(e.t)), ' ', withTerms(e.text)))),
    );
  }
}
