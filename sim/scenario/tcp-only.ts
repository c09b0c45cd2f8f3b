import { ConfigError, type ConfigProblem } from './config-error.js';

/**
 * The network's datagram effects (`duplicate`, `reorder`) act on messages sent without a
 * connection. A system whose every channel is a TCP connection (sim/connection.ts: in order, once,
 * loss shown as retransmission delay) can never see them, so a scenario that sets them would run
 * exactly as without: refused where it is written, naming what carries the system's traffic.
 */
export interface NetworkSection {
  duplicate?: number;
  reorder?: number;
  links?: { duplicate?: number; reorder?: number }[];
}

export function datagramEffectProblems(network: NetworkSection | undefined, system: string, channels: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const message = (key: string) => `network ${key} does nothing on ${system}: every channel (${channels}) is a TCP connection, which delivers in order and once, and loss shows as retransmission delay; use loss:, latency: or a partition fault`;
  for (const key of ['duplicate', 'reorder'] as const) {
    if (network?.[key] !== undefined) problems.push(...ConfigError.at(['network', key], message(key)).problems);
    network?.links?.forEach((link, i) => {
      if (link[key] !== undefined) problems.push(...ConfigError.at(['network', 'links', i, key], message(key)).problems);
    });
  }
  return problems;
}
