import type { StateStore } from '../../sim/state.js';
import type { World } from '../../sim/world.js';
import type { TopicAssignment } from './controller.js';
import type { KafkaControlState } from './zookeeper.js';

/**
 * Kafka's role selectors for faults: `controller` (the active controller), and
 * `{ leader-of: <topic>-<partition> }` (the partition's leader now; before the controller has
 * written any state, its preferred replica), validated against the scenario's partitions.
 */
export function registerSelectors(world: World, store: StateStore<KafkaControlState>, topics: readonly TopicAssignment[]): void {
  world.registerSelector('controller', () => (store.state.controller ? [store.state.controller] : []));
  world.registerSelector('leader-of', (arg) => {
    if (arg === undefined) throw new Error('leader-of needs a partition, e.g. { leader-of: orders-0 }');
    const state = store.state.partitions[arg];
    if (state === undefined) {
      const dash = arg.lastIndexOf('-');
      const topic = topics.find((t) => t.topic === arg.slice(0, dash));
      const p = Number.parseInt(arg.slice(dash + 1), 10);
      if (!topic || !(p >= 0 && p < topic.partitions.length)) throw new Error(`leader-of: no partition "${arg}"`);
      return [topic.partitions[p]![0]!];
    }
    return state.leader === null ? [] : [state.leader];
  }, (arg) => {
    if (arg === undefined) return 'needs a partition, e.g. { leader-of: orders-0 }';
    const dash = arg.lastIndexOf('-');
    const name = arg.slice(0, dash);
    const topic = topics.find((t) => t.topic === name);
    const p = Number(arg.slice(dash + 1));
    if (dash > 0 && topic && Number.isInteger(p) && p >= 0 && p < topic.partitions.length) return null;
    return `no partition "${arg}" (partitions are <topic>-<n>: ${topics.filter((t) => !t.topic.startsWith('__')).map((t) => `${t.topic}-0..${t.partitions.length - 1}`).join(', ')})`;
  });
}
