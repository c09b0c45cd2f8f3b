import type { NodeContext } from './node.js';

/**
 * A model's note catalogue: every trace note name it may emit (`ctx.note(what, detail)`), declared
 * once with a one-line meaning. The README's trace documentation is generated from the catalogues,
 * and a test fails when a run emits a note that no catalogue declares.
 */
export type NoteCatalogue = Readonly<Record<string, string>>;

export interface TypedNotes<C extends NoteCatalogue> {
  readonly catalogue: C;
  /** `ctx.note` restricted to the catalogue's names. */
  note(ctx: NodeContext, what: keyof C & string, detail?: Record<string, unknown>): void;
}

/** Binds a catalogue: `const notes = notesOf(KAFKA_NOTES); notes.note(ctx, 'isr-shrink', {...})`. */
export function notesOf<const C extends NoteCatalogue>(catalogue: C): TypedNotes<C> {
  return { catalogue, note: (ctx, what, detail) => ctx.note(what, detail) };
}
