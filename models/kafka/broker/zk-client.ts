import type { NodeContext } from '../../../sim/node.js';
import { Controller, type TopicAssignment } from '../controller.js';
import { note } from '../notes.js';
import { sendTo, type LeaderAndIsr, type UpdateMetadata, type ZkConnectResponse, type ZkControllerChanged, type ZkCreateControllerResponse, type ZkPingResponse } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { brokerTimers } from './timers.js';

/**
 * The broker's ZooKeeper client (ZooKeeper mode; Kafka's KafkaZkClient and the controller
 * election of KafkaController): the session (ephemeral /brokers/ids/N, pinged every
 * zookeeper.session.timeout.ms / 3), and the /controller election. A restarted broker retries
 * its registration every second while its previous session's node is still there, and takes no
 * LeaderAndIsr / UpdateMetadata until it is registered (they wait in `early`). The broker that
 * creates /controller runs the controller (controller.ts) until its session expires or the
 * znode goes.
 */

export interface ZkClientHost {
  readonly ctx: NodeContext;
  readonly config: BrokerConfig;
  readonly stats: KafkaStats;
  readonly topics: readonly TopicAssignment[];
  /** The ZooKeeper node's name. */
  readonly zk: string;
  /** The controller named in /controller (null: none). */
  controllerChanged(controller: string | null): void;
  /** This broker won /controller at `epoch`. */
  controllerEpochSeen(epoch: number): void;
  /** Delivers a message that waited for the registration. */
  redeliver(from: string, message: LeaderAndIsr | UpdateMetadata): void;
}

export class BrokerZkClient {
  private session = -1;
  registered = false;
  private early: { from: string; message: LeaderAndIsr | UpdateMetadata }[] = [];
  /** The controller this broker runs, when it won /controller. */
  controller: Controller | null = null;

  constructor(private readonly host: ZkClientHost) {}

  private get ctx(): NodeContext {
    return this.host.ctx;
  }

  /** A controller request that came before the registration: kept until then. */
  holdUntilRegistered(from: string, message: LeaderAndIsr | UpdateMetadata): void {
    this.early.push({ from, message });
  }

  connect(): void {
    sendTo(this.ctx, this.host.zk, { type: 'ZkConnect', broker: this.ctx.name });
    // Until the session is up, try again every second (the ZooKeeper client reconnects).
    brokerTimers.set(this.ctx, 1_000_000, 'zk-connect', undefined);
  }

  /** 'zk-connect': still no session, try again. */
  onConnectTimer(): void {
    if (this.session < 0) this.connect();
  }

  onConnectResponse(response: ZkConnectResponse): void {
    if (this.session >= 0) return;
    if (!response.ok) {
      note(this.ctx, 'zk-register-failed', { error: response.error ?? 'unknown' });
      this.early = [];
      return;
    }
    this.session = response.session;
    this.registered = true;
    const early = this.early;
    this.early = [];
    for (const { from, message } of early) this.host.redeliver(from, message);
    note(this.ctx, 'zk-registered', { session: response.session });
    this.ping();
    this.tryClaimController();
  }

  /** 'zk-ping' (and right after registering): keeps the session alive. */
  ping(): void {
    if (this.session < 0) return;
    sendTo(this.ctx, this.host.zk, { type: 'ZkPing', session: this.session });
    brokerTimers.set(this.ctx, Math.floor(this.host.config.zkSessionTimeout / 3), 'zk-ping', undefined);
  }

  onPingResponse(response: ZkPingResponse): void {
    if (!response.expired || response.session !== this.session) return;
    // Session expired (e.g. after a partition): register again; a controller resigns.
    note(this.ctx, 'zk-session-expired', { session: this.session });
    this.session = -1;
    this.resign();
    this.connect();
  }

  private tryClaimController(): void {
    if (this.session < 0) return;
    sendTo(this.ctx, this.host.zk, { type: 'ZkCreateController', session: this.session, broker: this.ctx.name });
  }

  onCreateControllerResponse(response: ZkCreateControllerResponse): void {
    this.host.controllerChanged(response.controller);
    if (!response.ok || this.controller) return;
    const { config, stats } = this.host;
    stats.controllerElections++;
    this.host.controllerEpochSeen(response.controllerEpoch);
    note(this.ctx, 'became-controller', { epoch: response.controllerEpoch });
    this.controller = new Controller(this.ctx, response.controllerEpoch, this.host.topics, this.host.zk, config.controllerSocketTimeout, stats);
    this.controller.activate(response);
  }

  onControllerChanged(changed: ZkControllerChanged): void {
    this.host.controllerChanged(changed.controller);
    if (changed.controller === null) {
      this.resign();
      this.tryClaimController();
    }
  }

  /** A clean exit closes the session: ZooKeeper deletes /brokers/ids/N (and /controller) at once. */
  close(): void {
    if (this.session < 0) return;
    sendTo(this.ctx, this.host.zk, { type: 'ZkCloseSession', session: this.session });
    this.session = -1;
    this.registered = false;
    this.resign();
  }

  resign(): void {
    if (!this.controller) return;
    note(this.ctx, 'controller-resigned', { epoch: this.controller.epoch });
    this.controller = null;
  }
}
