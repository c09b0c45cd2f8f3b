import { closest } from './suggest.js';

/**
 * Problems a model finds when it builds a cluster from a scenario that passed the schema: names
 * defined twice, references to topics, queues, exchanges, vhosts or nodes that do not exist,
 * combinations it does not model. Each carries the key path of the offending value, so the
 * loader reports it at its file:line:column like a schema error, with a did-you-mean.
 */
export type ConfigPath = (string | number)[];

export interface ConfigProblem {
  path: ConfigPath;
  message: string;
  allowed?: readonly string[];
  suggestion?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => p.message).join('\n'));
  }

  /** One problem at `path`; with `allowed`, the closest allowed name to `given` is suggested. */
  static at(path: ConfigPath, message: string, allowed?: readonly string[], given?: string): ConfigError {
    const problem: ConfigProblem = { path, message };
    if (allowed) problem.allowed = allowed;
    const suggestion = allowed && given !== undefined ? closest(given, allowed) : undefined;
    if (suggestion) problem.suggestion = suggestion;
    return new ConfigError([problem]);
  }
}

/**
 * Runs a model's check of one part of the scenario (a producer, a consumer group, a topic):
 * problems it throws get `path` in front of theirs; a plain Error becomes a problem at `path`.
 */
export function withPath<T>(path: ConfigPath, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.problems.map((p) => ({ ...p, path: [...path, ...p.path] })));
    if (error instanceof Error) throw new ConfigError([{ path, message: error.message }]);
    throw error;
  }
}
