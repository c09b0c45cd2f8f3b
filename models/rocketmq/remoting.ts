import type { CloseReason } from '../../sim/connection.js';
import type { Timer } from '../../sim/kernel.js';
import type { Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import {
  HEADER_BYTES, type RemotingResponse, type RequestBody, type RequestCode, type RequestOf, type ResponseBody, type ResponseCode, type ResponseTo,
} from './protocol.js';

/**
 * The remoting layer (NettyRemotingAbstract / NettyRemotingClient): invokeAsync with a timeout
 * and invokeOneway on the client side, and the RESPONSE a server writes back with the request's
 * opaque. Request and response shapes are the typed union of protocol.ts.
 *
 * The client keeps one channel (TCP connection) per address, created on the first request to it
 * (getAndCreateChannel) and again on the next request after it closed. When a channel closes,
 * failFast completes every request in flight on it at once (no response, sendRequestOK false)
 * instead of waiting for its timeout.
 */

/** Why a request got no response: its timeout, its channel closed after it was written, or the channel could not be opened. */
export type RemotingFailure = 'timeout' | 'send-request' | 'connect';

/** What a request's answer (or null: timed out) is handed to, with the argument given at invoke. */
export type ResponseHandler<C extends RequestCode, A> = (arg: A, response: ResponseTo<C> | null) => void;

/** The timer remoting sets per request in flight: its opaque. */
export type RemotingTimer = { tag: 'rpc-timeout'; data: number };

type AnyHandler = (arg: unknown, response: RemotingResponse | null) => void;

/** invoke's handler: the argument is the caller's closure. */
function callClosure(onResponse: (response: never) => void, response: never): void {
  onResponse(response);
}

/**
 * The client side of remoting (NettyRemotingAbstract's responseTable): invokeAsync with a timeout,
 * invokeOneway. A timed-out request calls back with null; a late response is dropped.
 *
 * The body object passed to invoke / oneway becomes the request (its `type` and `opaque` are set
 * on it, not copied): pass a fresh object each time. Requests in flight are kept in a table
 * indexed by opaque modulo its size (opaques are handed out in order, so slots free up in order),
 * which grows when a slot is still taken.
 */
export class Remoting {
  private nextOpaque = 1;
  /**
   * Requests in flight, as parallel arrays indexed by opaque & mask (0 in `opaques`: a free slot):
   * no object per request besides its timer.
   */
  private opaques: number[] = new Array<number>(16).fill(0);
  private handlers: (AnyHandler | undefined)[] = new Array<AnyHandler | undefined>(16).fill(undefined);
  private args: unknown[] = new Array<unknown>(16).fill(undefined);
  private timers: (Timer | undefined)[] = new Array<Timer | undefined>(16).fill(undefined);
  private peers: (string | undefined)[] = new Array<string | undefined>(16).fill(undefined);
  private mask = 15;
  /** Why the latest request handed a null response failed (read by its handler). */
  lastFailure: RemotingFailure = 'timeout';

  constructor(private readonly ctx: NodeContext) {}

  invoke<C extends RequestCode>(to: string, type: C, body: RequestBody<C>, bytes: number, timeout: Micros, onResponse: (response: ResponseTo<C> | null) => void): void {
    this.invokeWith(to, type, body, bytes, timeout, callClosure as unknown as ResponseHandler<C, (response: ResponseTo<C> | null) => void>, onResponse);
  }

  /** invoke with a handler and an argument instead of a closure (the per-message paths). */
  invokeWith<C extends RequestCode, A>(to: string, type: C, body: RequestBody<C>, bytes: number, timeout: Micros, handler: ResponseHandler<C, A>, arg: A): void {
    const opaque = this.nextOpaque++;
    const timer = this.ctx.setTimer(Math.max(1, timeout), 'rpc-timeout', opaque);
    let slot = opaque & this.mask;
    if (this.opaques[slot] !== 0) slot = this.grow(opaque);
    this.opaques[slot] = opaque;
    // The table holds handlers of every request code; complete() hands each the response to its own request.
    this.handlers[slot] = handler as unknown as AnyHandler;
    this.args[slot] = arg;
    this.timers[slot] = timer;
    this.peers[slot] = to;
    this.ctx.connect(to);
    this.ctx.send(to, stamp(body, type, opaque), bytes);
  }

  oneway<C extends RequestCode>(to: string, type: C, body: RequestBody<C>, bytes = HEADER_BYTES): void {
    this.ctx.connect(to);
    this.ctx.send(to, stamp(body, type, 0), bytes);
  }

  /**
   * The channel to `peer` closed: every request in flight on it fails now. A connect that never
   * succeeded (refused, timed out) sent nothing (RemotingConnectException); a reset after the
   * requests went out leaves their outcome unknown (RemotingSendRequestException).
   */
  failFast(peer: string, reason: CloseReason): void {
    const failed: number[] = [];
    for (let slot = 0; slot < this.opaques.length; slot++) {
      if (this.opaques[slot] !== 0 && this.peers[slot] === peer) failed.push(this.opaques[slot]!);
    }
    // A handler may send again (a retry on another broker), which can grow the table: look each up anew.
    for (const opaque of failed) {
      const slot = this.take(opaque);
      if (slot < 0) continue;
      this.ctx.cancelTimer(this.timers[slot]!);
      this.lastFailure = reason === 'refused' ? 'connect' : 'send-request';
      this.complete(slot, null);
    }
    this.lastFailure = 'timeout';
  }

  /** An older request still waits in the new one's slot: doubles the table until every request has its own. Returns the new one's slot. */
  private grow(opaque: number): number {
    const old = this.opaques;
    let size = old.length;
    for (;;) {
      size *= 2;
      const mask = size - 1;
      const taken = new Uint8Array(size);
      let clash = false;
      taken[opaque & mask] = 1;
      for (const o of old) {
        if (o === 0) continue;
        if (taken[o & mask] === 1) {
          clash = true;
          break;
        }
        taken[o & mask] = 1;
      }
      if (clash) continue;
      const opaques = new Array<number>(size).fill(0);
      const handlers = new Array<AnyHandler | undefined>(size).fill(undefined);
      const args = new Array<unknown>(size).fill(undefined);
      const timers = new Array<Timer | undefined>(size).fill(undefined);
      const peers = new Array<string | undefined>(size).fill(undefined);
      for (let i = 0; i < old.length; i++) {
        const o = old[i]!;
        if (o === 0) continue;
        const at = o & mask;
        opaques[at] = o;
        handlers[at] = this.handlers[i];
        args[at] = this.args[i];
        timers[at] = this.timers[i];
        peers[at] = this.peers[i];
      }
      this.opaques = opaques;
      this.handlers = handlers;
      this.args = args;
      this.timers = timers;
      this.peers = peers;
      this.mask = mask;
      return opaque & mask;
    }
  }

  /** Takes the request `opaque` out of the table: its slot, or -1 when it is not in flight (answered or timed out). */
  private take(opaque: number): number {
    const slot = opaque & this.mask;
    if (this.opaques[slot] !== opaque) return -1;
    this.opaques[slot] = 0;
    return slot;
  }

  /** Calls the handler of the request in `slot` (just taken) and frees the slot's references. */
  private complete(slot: number, response: RemotingResponse | null): void {
    const handler = this.handlers[slot]!;
    const arg = this.args[slot];
    this.handlers[slot] = undefined;
    this.args[slot] = undefined;
    this.timers[slot] = undefined;
    this.peers[slot] = undefined;
    handler(arg, response);
  }

  /** A RESPONSE arrived: hands it to its request's handler (a stale one is dropped). */
  handle(response: RemotingResponse): void {
    const slot = this.take(response.opaque);
    if (slot >= 0) {
      this.ctx.cancelTimer(this.timers[slot]!);
      this.complete(slot, response);
    }
  }

  /** The request `opaque` timed out: its handler gets null (unless it was answered meanwhile). */
  timeout(opaque: number): void {
    const slot = this.take(opaque);
    if (slot >= 0) this.complete(slot, null);
  }
}

/** Makes the body object the request: its type and opaque set on it, not copied. */
function stamp<C extends RequestCode>(body: RequestBody<C>, type: C, opaque: number): RequestOf<C> {
  const request = body as { type?: C; opaque?: number };
  request.type = type;
  request.opaque = opaque;
  return request as unknown as RequestOf<C>;
}

/** Sends a RESPONSE to a request. The body object becomes the response: pass a fresh object. */
export function respond<C extends RequestCode>(
  ctx: NodeContext, to: string, request: { readonly type: C; readonly opaque: number }, code: ResponseCode, body?: ResponseBody<C>, bytes = HEADER_BYTES,
): void {
  if (request.opaque === 0) return; // one-way
  const response = (body ?? {}) as { type?: 'RESPONSE'; opaque?: number; code?: ResponseCode };
  response.type = 'RESPONSE';
  response.opaque = request.opaque;
  response.code = code;
  ctx.send(to, response as Message, bytes);
}
