import type { RunResult } from '../sim/result.js';
import type { ExpectationOutcome } from '../sim/scenario/expect.js';

/**
 * JUnit XML (`--junit results.xml` on run, check and compare), the format CI systems show as test
 * results (GitHub Actions test reporters, GitLab, Jenkins): one <testsuite> per command, one
 * <testcase> per scenario (run), per property (check) or per variant (compare). A failing case
 * carries the failing expectation(s) in its <failure message>, and for a check the counterexample
 * scenario file written beside it. No wall-clock time is written (the file is the same for the
 * same run); the virtual time of a run goes into a property.
 */

export interface JunitFailure {
  /** One line: what failed (the expectation, the property). */
  message: string;
  /** The failure's kind, e.g. `expectation` or `property`. */
  type: string;
  /** Longer text: every failing expectation, the counterexample's fault schedule. */
  detail?: string;
}

export interface JunitCase {
  name: string;
  /** Groups cases in CI's view: the scenario's file, or the system. */
  classname: string;
  failure?: JunitFailure;
  /** <system-out>: the trace hash, the seed: what replays the case. */
  output?: string;
  properties?: Record<string, string>;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
  properties?: Record<string, string>;
}

/** Characters XML 1.0 does not allow at all (not even escaped): dropped, shown as U+FFFD. */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for an XML attribute or element: escaped, and characters XML cannot carry replaced. */
export function xmlEscape(text: string): string {
  return text
    .replace(XML_INVALID, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}

/** Element text keeps its line breaks (only attributes need them as references). */
function xmlText(text: string): string {
  return text.replace(XML_INVALID, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function propertiesXml(properties: Record<string, string> | undefined, indent: string): string[] {
  const entries = Object.entries(properties ?? {});
  if (entries.length === 0) return [];
  return [
    `${indent}<properties>`,
    ...entries.map(([name, value]) => `${indent}  <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`),
    `${indent}</properties>`,
  ];
}

/** The JUnit XML document for the suites (the common schema Jenkins, GitLab and GitHub's reporters read). */
export function renderJunit(suites: JunitSuite[]): string {
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mqsim" tests="${tests}" failures="${failures}" errors="0">`];
  for (const suite of suites) {
    const suiteFailures = suite.cases.filter((c) => c.failure).length;
    lines.push(`  <testsuite name="${xmlEscape(suite.name)}" tests="${suite.cases.length}" failures="${suiteFailures}" errors="0" skipped="0">`);
    lines.push(...propertiesXml(suite.properties, '    '));
    for (const c of suite.cases) {
      const open = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}"`;
      if (!c.failure && !c.output && !c.properties) {
        lines.push(`${open}/>`);
        continue;
      }
      lines.push(`${open}>`);
      lines.push(...propertiesXml(c.properties, '      '));
      if (c.failure) {
        const detail = c.failure.detail !== undefined ? xmlText(c.failure.detail) : '';
        lines.push(`      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${detail}</failure>`);
      }
      if (c.output) lines.push(`      <system-out>${xmlText(c.output)}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function describeExpectation(e: ExpectationOutcome): string {
  return `${e.metric} ${e.text} (actual ${e.actual === null ? 'not measured' : e.actual})`;
}

/** `mqsim run --junit`: one case per scenario; a failure names each expectation that did not hold. */
export function runJunitSuite(runs: { source: string; result: RunResult }[]): JunitSuite {
  return {
    name: 'mqsim run',
    cases: runs.map(({ source, result }) => {
      const failed = result.expectations.filter((e) => !e.pass);
      const c: JunitCase = {
        name: result.scenario,
        classname: source,
        output: `${result.system} seed ${result.seed} trace ${result.traceHash} ${result.events} events\nreplay: mqsim run ${source} --seed ${result.seed}\n`,
        properties: { system: result.system, seed: String(result.seed), traceHash: result.traceHash },
      };
      if (failed.length > 0) {
        c.failure = {
          message: `expect ${failed.map(describeExpectation).join('; ')}`,
          type: 'expectation',
          detail: failed.map((e) => `expected ${e.metric} ${e.text}, got ${e.actual === null ? 'no value' : e.actual}`).join('\n'),
        };
      }
      return c;
    }),
  };
}

/** What `mqsim check --junit` needs of a check's report. */
export interface CheckJunitInput {
  file: string;
  scenario: string;
  system: string;
  seed: number;
  runs: number;
  runsDone: number;
  properties: string;
  firstFailure: number | null;
  counterexample: { property: string; message: string; faults: string[]; traceHash: string } | null;
}

/**
 * `mqsim check --junit`: one case per property of the scenario's `property:` section (the
 * report names them joined by "+"); the failing one carries the counterexample's message and
 * the path of the counterexample scenario file that replays it.
 */
export function checkJunitSuite(report: CheckJunitInput, counterexampleFile: string | null): JunitSuite {
  const names = report.properties.split(/\s*[+,]\s*/).filter((p) => p.length > 0);
  const example = report.counterexample;
  if (example && !names.includes(example.property)) names.push(example.property);
  if (names.length === 0) names.push('property');
  return {
    name: `mqsim check ${report.file}`,
    properties: { scenario: report.scenario, system: report.system, seed: String(report.seed), runs: String(report.runs), runsDone: String(report.runsDone) },
    cases: names.map((name) => {
      const c: JunitCase = { name, classname: report.file };
      const failsHere = example ? example.property === name : report.firstFailure !== null && names.length === 1;
      if (failsHere) {
        const where = counterexampleFile ? `; counterexample: ${counterexampleFile}` : '';
        const detail = example
          ? [example.message, '', 'minimal fault schedule:', ...(example.faults.length ? example.faults.map((f) => `  ${f}`) : ['  (none)']), '', `trace ${example.traceHash}`]
          : [`fails at run ${report.firstFailure} (a shard's verdict: merge the shard reports for the counterexample)`];
        if (counterexampleFile) detail.push(`counterexample: ${counterexampleFile} (mqsim run ${counterexampleFile} replays it)`);
        c.failure = { message: `${name} fails at run ${report.firstFailure}${where}`, type: 'property', detail: detail.join('\n') };
      } else {
        c.output = `holds over ${report.runsDone} runs (seed ${report.seed})\n`;
      }
      return c;
    }),
  };
}

/** What `mqsim compare --junit` needs of each variant. */
export interface CompareJunitVariant {
  variant: string;
  system: string;
  results: RunResult[];
}

/** `mqsim compare --junit`: one case per variant, failing when a seed's `expect:` did not hold. */
export function compareJunitSuite(file: string, name: string, variants: CompareJunitVariant[]): JunitSuite {
  return {
    name: `mqsim compare ${name}`,
    cases: variants.map((v) => {
      const c: JunitCase = {
        name: v.variant,
        classname: file,
        output: v.results.map((r) => `${v.system} seed ${r.seed} trace ${r.traceHash}`).join('\n') + '\n',
        properties: { system: v.system },
      };
      const failing = v.results.filter((r) => !r.passed);
      if (failing.length > 0) {
        const lines = failing.flatMap((r) => r.expectations.filter((e) => !e.pass).map((e) => `seed ${r.seed}: ${describeExpectation(e)}`));
        c.failure = { message: `expect ${lines.join('; ')}`, type: 'expectation', detail: lines.join('\n') };
      }
      return c;
    }),
  };
}
