import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real RabbitMQ node for the conformance probes, from Debian's `rabbitmq-server` package
 * (`apt-get install rabbitmq-server`), started on loopback only and thrown away afterwards:
 *
 * - its own node name, ports, config, Mnesia and log folders in a temp folder, so it never
 *   meets the package's own service (node rabbit@host, port 5672, epmd 4369) if one runs;
 * - AMQP on 127.0.0.1:5673, Erlang distribution on 127.0.0.1:25673, and an epmd we start
 *   ourselves on 127.0.0.1:4370 (so we know its pid and stop it, never another epmd);
 * - a throwaway vhost (`mqsim-conformance`) the probes use, with guest allowed from loopback;
 * - killed (kill -9) and restarted on the same data when a probe asks for it;
 * - stopped by the pids it wrote (beam, then our epmd); the temp folder is removed.
 */

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
export const CONFORMANCE_VHOST = 'mqsim-conformance';

export interface RealBroker {
  readonly url: string;
  readonly version: string;
  /** kill -9 of the broker process, then start it again on the same data and wait until it is up (a fault probes use). */
  killAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

function epmdPath(): string {
  const base = '/usr/lib/erlang';
  const erts = existsSync(base) ? readdirSync(base).filter((d) => d.startsWith('erts-')).sort() : [];
  if (erts.length === 0) throw new Error('Erlang not found: install Debian\'s rabbitmq-server (apt-get install -y rabbitmq-server)');
  return join(base, erts[erts.length - 1]!, 'bin', 'epmd');
}

/** The installed package's version (dpkg), e.g. 3.10.8. */
export function installedRabbitVersion(): string | null {
  const out = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server'], { encoding: 'utf8' });
  if (out.status !== 0) return null;
  return out.stdout.trim().split('-')[0] ?? null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRabbitBroker(options: { amqpPort?: number; epmdPort?: number } = {}): Promise<RealBroker> {
  if (!existsSync(join(RABBIT_BIN, 'rabbitmq-server'))) {
    throw new Error('rabbitmq-server not installed: apt-get install -y rabbitmq-server (Debian ships 3.10.8)');
  }
  const version = installedRabbitVersion() ?? 'unknown';
  const amqpPort = options.amqpPort ?? 5673;
  const epmdPort = options.epmdPort ?? 4370;
  const home = mkdtempSync(join(tmpdir(), 'mqsim-rabbitmq-'));
  const node = 'mqsimconformance@localhost';
  writeFileSync(join(home, 'rabbitmq.conf'), [
    `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
    // guest may log in from loopback (the only address we listen on).
    'loopback_users = none',
    '',
  ].join('\n'));
  writeFileSync(join(home, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home, // the Erlang cookie lives here
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONFIG_FILE: join(home, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
    RABBITMQ_LOG_BASE: join(home, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(home, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(home, 'rabbitmq.pid'),
    RABBITMQ_DIST_PORT: String(amqpPort + 20000),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
  };
  const epmd = spawn(epmdPath(), ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, stdio: 'ignore' });
  await sleep(200);
  const launch = (): ChildProcess => spawn(join(RABBIT_BIN, 'rabbitmq-server'), [], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  let server = launch();
  const exited = async (limitMs: number) => {
    for (let waited = 0; waited < limitMs && server.exitCode === null && server.signalCode === null; waited += 50) await sleep(50);
    return server.exitCode !== null || server.signalCode !== null;
  };
  const ctl = (...args: string[]) => {
    const out = spawnSync(join(RABBIT_BIN, 'rabbitmqctl'), ['-n', node, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    if (out.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')}: ${out.stderr || out.stdout}`);
    return out.stdout;
  };
  const pidOf = (): number | null => {
    try {
      return Number(readFileSync(env.RABBITMQ_PID_FILE!, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };
  const waitUp = () => ctl('wait', '--timeout', '60', env.RABBITMQ_PID_FILE!);
  try {
    waitUp();
    ctl('add_vhost', CONFORMANCE_VHOST);
    ctl('set_permissions', '-p', CONFORMANCE_VHOST, 'guest', '.*', '.*', '.*');
  } catch (error) {
    server.kill('SIGKILL');
    epmd.kill();
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const killPid = (signal: NodeJS.Signals) => {
    const pid = pidOf();
    if (pid !== null) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  // Never leave the broker behind: if this process ends (or is interrupted) before stop(), the
  // broker and our epmd are killed by their pids and the temp folder goes.
  const leftovers = () => {
    killPid('SIGKILL');
    epmd.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  const interrupted = () => process.exit(130);
  process.once('exit', leftovers);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return {
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}/${encodeURIComponent(CONFORMANCE_VHOST)}`,
    version,
    async killAndRestart() {
      killPid('SIGKILL');
      if (!(await exited(10_000))) throw new Error('rabbitmq-server did not exit after kill -9');
      rmSync(env.RABBITMQ_PID_FILE!, { force: true });
      server = launch();
      waitUp();
    },
    async stop() {
      process.off('exit', leftovers);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      killPid('SIGTERM');
      if (!(await exited(10_000))) killPid('SIGKILL');
      epmd.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
