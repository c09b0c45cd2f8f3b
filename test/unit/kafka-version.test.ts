import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION, defaultMetadataMode, hasZooKeeper, kafkaVersionOf } from '../../models/kafka/version.js';
import { mqsim } from '../cli-helpers.js';

/** cluster.version for Kafka (models/kafka/version.ts): 3.9 has ZooKeeper mode (the default), 4.0 runs KRaft and refuses ZooKeeper. */

const scenario = (cluster: string) => `name: v
system: kafka
duration: 2s
cluster: ${cluster}
topics: [{ name: t, partitions: 1, replicationFactor: 3 }]
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-kafka-version-'));
  dirs.push(dir);
  const path = join(dir, 'v.yaml');
  writeFileSync(path, text);
  return path;
}

describe('kafka cluster.version', () => {
  it('3.9 (the default) has ZooKeeper and runs in it with no cluster.metadata; 4.0 runs KRaft', () => {
    expect(DEFAULT_KAFKA_VERSION).toBe('3.9');
    expect([hasZooKeeper('3.9'), hasZooKeeper('4.0')]).toEqual([true, false]);
    expect([defaultMetadataMode('3.9'), defaultMetadataMode('4.0')]).toEqual(['zookeeper', 'kraft']);
    expect([kafkaVersionOf('3.9.1'), kafkaVersionOf('4.0.2')]).toEqual(['3.9', '4.0']);
    expect(() => kafkaVersionOf('2.8.2')).toThrow(/no Kafka model version/);
  });

  it('refuses cluster.metadata: zookeeper with version 4.0 at its file:line:col, exit 2', async () => {
    const path = file(scenario('{ brokers: 3, version: "4.0", metadata: zookeeper }'));
    const out = await mqsim(['run', path]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${path}:4:`);
    expect(out.stderr).toMatch(/Kafka 4 removed ZooKeeper mode/);
  });

  it('refuses a version the model does not follow, naming the allowed ones', async () => {
    const out = await mqsim(['run', file(scenario('{ brokers: 3, version: "3.7" }'))]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/"3\.9" or "4\.0"/);
  });

  it('switches the run: version 4.0 with no metadata is the KRaft run, 3.9 the ZooKeeper one', async () => {
    const hash = async (cluster: string) => JSON.parse((await mqsim(['run', '--json', file(scenario(cluster))])).stdout).traceHash as string;
    const kraft = await hash('{ brokers: 3, metadata: kraft }');
    expect(await hash('{ brokers: 3, version: "4.0" }')).toBe(kraft);
    expect(await hash('{ brokers: 3, version: "3.9" }')).toBe(await hash('{ brokers: 3 }'));
    expect(await hash('{ brokers: 3, version: "3.9" }')).not.toBe(kraft);
  });
});
