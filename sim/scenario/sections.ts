import type { z } from 'zod';

/**
 * Top-level scenario sections owned by other layers: `mqsim check`'s `explore:` and `property:`
 * (check/section.ts) and the classroom's `drill:` (drill/section.ts). Each registers its schema
 * here once, when its module is loaded; the scenario schema then validates the section with every
 * other key (positions, did-you-mean, the JSON Schema) without this layer knowing what it means.
 * A section's types join the validated scenario by declaration merging on `ScenarioSections`
 * (sim/scenario/schema.ts). `scenario-sections.ts` at the root loads every section, for the entry points.
 */
export interface SectionDefinition {
  /** The top-level key, e.g. `drill`. */
  key: string;
  schema: z.ZodType;
  /** A representable variant for the JSON Schema, when `schema` has transforms that are not. */
  jsonSchema?: z.ZodType;
}

const sections = new Map<string, SectionDefinition>();
const listeners: (() => void)[] = [];

export function registerScenarioSection(definition: SectionDefinition): void {
  const existing = sections.get(definition.key);
  if (existing && existing.schema !== definition.schema) throw new Error(`scenario section ${definition.key} is registered twice`);
  if (existing) return;
  sections.set(definition.key, definition);
  for (const listener of listeners) listener();
}

/** The registered sections as optional keys of the scenario schema. */
export function registeredSections(forJsonSchema: boolean): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, definition] of sections) shape[key] = ((forJsonSchema ? definition.jsonSchema : undefined) ?? definition.schema).optional();
  return shape;
}

export function registeredSectionKeys(): string[] {
  return [...sections.keys()];
}

/** Told when a section is registered (schema caches are dropped). */
export function onSectionRegistered(listener: () => void): void {
  listeners.push(listener);
}
