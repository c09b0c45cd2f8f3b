/** Exit codes of every mqsim command. */
export const EXIT = {
  /** Every expectation holds (or the command did its job). */
  ok: 0,
  /** A scenario ran and an expectation failed. */
  expectationFailed: 1,
  /** Bad usage or a bad scenario file: nothing ran. */
  usage: 2,
  /** A bug in mqsim or a model (a handler threw, a guard tripped): reported with the seed. */
  internal: 3,
} as const;

/**
 * A user's mistake found while a command works (an unwritable output path, a bad flag value):
 * main() prints its message and exits with EXIT.usage, never a stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
