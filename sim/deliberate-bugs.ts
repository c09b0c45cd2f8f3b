/**
 * Deliberate model bugs (issue #22): switches that break one guarantee on purpose, so a test can
 * measure whether `mqsim check` finds the break with a shipped "holds" claim: how strong the
 * search is, not only how fast. Each model declares its catalogue (models/<system>/deliberate-bugs.ts).
 * Test-only: no scenario key reaches them, every one is off by default, and a run with all of them
 * off is the model (same trace hashes). The switch is module state of this process, so it reaches
 * `runCheck` with `workers: 1` (runs in-process), not worker threads.
 */
export class DeliberateBugs<K extends string> {
  private readonly enabled = new Set<K>();

  constructor(readonly catalogue: Readonly<Record<K, string>>) {}

  /** Is `bug` switched on? (One set lookup only while some bug is on.) */
  on(bug: K): boolean {
    return this.enabled.size > 0 && this.enabled.has(bug);
  }

  /** Runs `body` with `bug` switched on, and off again afterwards whatever happens. */
  async with<T>(bug: K, body: () => Promise<T>): Promise<T> {
    this.enabled.add(bug);
    try {
      return await body();
    } finally {
      this.enabled.delete(bug);
    }
  }
}
