import '../scenario-sections.js';
import { formatResults } from './compare.js';
import { liveRunFailed, runAgainst } from './run.js';
import { CONFORMANCE_SYSTEMS, conformanceSystem, systemName, type BrokerControl } from './systems.js';

/**
 * `mqsim conformance [--system S] [--url URL]`: the probes against a real broker and through the
 * model, printed as the agree/disagree table. With --url, a broker the user already runs (for
 * RabbitMQ an amqp:// URL whose vhost the probes may declare and delete their queues and
 * exchanges in; probes that kill the broker are skipped there); without it, the project's own
 * throwaway broker on loopback. The model follows
 * the version the broker reports. Exit 0 when the model agrees everywhere (or only where
 * DIVERGENCES.md lists it), 1 when it disagrees, 2 for a bad system or an unreachable broker.
 */

export interface ConformanceIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function conformanceCommand(options: { system?: string; url?: string }, io: ConformanceIo): Promise<number> {
  const name = options.system ?? 'rabbitmq';
  const system = conformanceSystem(name);
  if (system === undefined) {
    io.stderr(`mqsim conformance: unknown system "${name}"; probes exist for: ${CONFORMANCE_SYSTEMS.map(systemName).join(', ')}\n`);
    return 2;
  }
  let url = options.url;
  let version: string;
  let stop: (() => Promise<void>) | undefined;
  let control: BrokerControl | undefined;
  try {
    if (url === undefined) {
      const broker = await system.startBroker();
      url = broker.url;
      version = broker.version;
      stop = () => broker.stop();
      control = broker;
    } else {
      version = await system.serverVersion(url);
    }
  } catch (error) {
    io.stderr(`mqsim conformance: cannot reach a ${name} broker${options.url ? ` at ${options.url}` : ''}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  try {
    const run = await runAgainst(system, url, version, { progress: (line) => io.stderr(`${line}\n`), ...(control ? { control } : {}) });
    io.stdout(`${formatResults(run.results, `${name} ${version}: real broker vs model (${run.seconds.toFixed(1)}s)`)}\n`);
    if (run.skipped.length > 0) io.stdout(`skipped (they kill the broker, so they run only on mqsim's own, without --url): ${run.skipped.join(', ')}\n`);
    return liveRunFailed(run) ? 1 : 0;
  } finally {
    await stop?.();
  }
}
