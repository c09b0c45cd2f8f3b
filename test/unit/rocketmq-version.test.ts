import { describe, expect, it } from 'vitest';
import { buildRocketmq } from '../../models/rocketmq/index.js';
import { rocketVersionOf, scanSchedule } from '../../models/rocketmq/version.js';
import { ConfigError } from '../../sim/scenario/config-error.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

/** cluster.version: where RocketMQ 4.x and 5.x differ (models/rocketmq/version.ts). */

describe('rocketmq versions', () => {
  it('scans for dead brokers every 10 s from 5 s in 4.x, every scanNotActiveBrokerInterval (5 s) from 5 ms in 5.x', () => {
    expect(scanSchedule('4.9', undefined)).toEqual({ first: 5_000_000, every: 10_000_000 });
    expect(scanSchedule('5.3', undefined)).toEqual({ first: 5_000, every: 5_000_000 });
    expect(scanSchedule('5.3', 60_000)).toEqual({ first: 5_000, every: 60_000_000 });
    expect(rocketVersionOf('5.3.3')).toBe('5.3');
    expect(rocketVersionOf('4.9.8')).toBe('4.9');
  });

  it('refuses the 5.x-only keys under 4.9, naming the key', () => {
    for (const key of ['scanNotActiveBrokerInterval', 'inSyncReplicas', 'slaveReadEnable'] as const) {
      const value = key === 'slaveReadEnable' ? true : 2000;
      const scenario = parseRocket({ duration: '1s', cluster: { config: { [key]: value } } });
      let thrown: unknown;
      try {
        buildRocketmq(new World({ seed: 1 }), scenario);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).problems[0]!.path).toEqual(['cluster', 'config', key]);
      expect(() => buildRocketmq(new World({ seed: 1 }), parseRocket({ duration: '1s', cluster: { version: '5.3', config: { [key]: value } } }))).not.toThrow();
    }
  });

  const syncMasterWithoutSlave = (version: '4.9' | '5.3', config: Record<string, unknown> = {}) => runRocket({
    duration: '10s', drain: '5s',
    cluster: { version, brokerGroups: 1, slavesPerGroup: 0, config: { brokerRole: 'SYNC_MASTER', ...config } },
    network: { latency: '1ms', links: [] },
    workload: { producers: [{ id: 'p1', count: 5, rate: '10/s', config: { sendMsgTimeout: 10_000 } }] },
  }, 1, true);

  it('a SYNC_MASTER with no slave: SLAVE_NOT_AVAILABLE in 4.x, SEND_OK in 5.x (inSyncReplicas 1), FLUSH_SLAVE_TIMEOUT after slaveTimeout in 5.x with inSyncReplicas 2', () => {
    expect(syncMasterWithoutSlave('4.9').counts['slaveNotAvailable']).toBe(5);
    const fiveDefault = syncMasterWithoutSlave('5.3');
    expect(fiveDefault.counts['acked']).toBe(5);
    expect(fiveDefault.counts['slaveNotAvailable']).toBe(0);
    const waits = syncMasterWithoutSlave('5.3', { inSyncReplicas: 2, slaveTimeout: 2000 });
    expect(waits.counts['flushSlaveTimeouts']).toBe(5);
    const ops = waits.world.history.ops.filter((o) => o.f === 'send');
    const invoked = new Map(ops.filter((o) => o.type === 'invoke').map((o) => [o.msg, o.time]));
    for (const o of ops.filter((x) => x.type === 'info')) {
      expect(o.error).toBe('FLUSH_SLAVE_TIMEOUT');
      // slaveTimeout (2 s) plus the round trip.
      expect(o.time - invoked.get(o.msg)!).toBeGreaterThanOrEqual(2_000_000);
      expect(o.time - invoked.get(o.msg)!).toBeLessThan(2_100_000);
    }
  });
});
