import { z } from 'zod';
import { duration } from '../sim/scenario/fields.js';
import { registerScenarioSection } from '../sim/scenario/sections.js';
import type { Micros } from '../sim/time.js';

/**
 * The `drill:` section of a scenario: a classroom walk through the run. Steps fire at a virtual
 * time or when a condition first holds in the trace; each shows a narration, optionally asks a
 * question, then explains with facts filled in from the run (`{{count lostAcked}}`).
 */
const question = z.union([
  z.strictObject({
    prompt: z.string(),
    choices: z.array(z.string()).min(2),
    /** 1-based index of the right choice. */
    answer: z.number().int().min(1),
  }),
  z.strictObject({
    prompt: z.string(),
    /** A number; with `tolerance`, answers within it count as right. Facts allowed: "{{count lostAcked}}". */
    answer: z.union([z.number(), z.string()]),
    tolerance: z.number().min(0).optional(),
  }),
], { error: 'a question is { prompt, choices: [...], answer: <1-based choice> } or { prompt, answer: <number or {{fact}}>, tolerance? }' });

const step = z.strictObject({
  at: duration.optional(),
  when: z.string().min(1).optional().meta({
    description: 'A condition on the trace: crash X, restart X, pause X, resume X, partition, heal, fault, note WHAT [key=value ...], state STORE PATH, phase liveness, or a model alias such as leader-changed orders-0.',
  }),
  title: z.string().optional(),
  narration: z.string(),
  question: question.optional(),
  explanation: z.string().optional(),
}).refine((s) => (s.at === undefined) !== (s.when === undefined), { message: 'a step has either at: or when:, not both or neither' })
  .refine((s) => s.question === undefined || s.explanation !== undefined, { message: 'a step with a question needs an explanation' })
  .refine((s) => s.question === undefined || !('choices' in s.question) || s.question.answer <= s.question.choices.length, { message: 'the answer must be one of the choices (1-based)' });

export const drillSection = z.strictObject({
  title: z.string(),
  goals: z.array(z.string()).min(1),
  steps: z.array(step).min(1),
});

export type ChoiceQuestion = { prompt: string; choices: string[]; answer: number };
export type NumberQuestion = { prompt: string; answer: number | string; tolerance?: number };
export type DrillQuestion = ChoiceQuestion | NumberQuestion;

export interface DrillStepSpec {
  at?: Micros;
  when?: string;
  title?: string;
  narration: string;
  question?: DrillQuestion;
  explanation?: string;
}

export interface DrillSpec {
  title: string;
  goals: string[];
  steps: DrillStepSpec[];
}

export function isChoiceQuestion(question: DrillQuestion): question is ChoiceQuestion {
  return 'choices' in question;
}

declare module '../sim/scenario/schema.js' {
  interface ScenarioSections {
    drill?: DrillSpec;
  }
}

registerScenarioSection({ key: 'drill', schema: drillSection });
