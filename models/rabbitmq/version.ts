/**
 * The RabbitMQ version the model follows. Where versions differ in what users see, the model
 * switches on `cluster.version`; everything else is the same in both:
 *
 * - quorum queue x-delivery-limit default: none in 3.10 (a message may be returned forever),
 *   20 since 4.0.
 * - where a quorum queue puts a message returned by basic.nack / basic.reject with requeue (or a
 *   closed channel): 3.10 at the back of the queue (seen on a real 3.10.8: conformance probe
 *   quorum-confirm-and-order); 4.0 back at its place near the head (the model's behaviour before
 *   the switch; not yet checked against a real 4.x).
 *
 * The default is 4.0 (what the model followed before the switch existed); conformance runs
 * each probe at the version of the real broker it is compared with (3.10 for Debian's 3.10.8).
 */
export const RABBIT_VERSIONS = ['3.10', '4.0'] as const;
export type RabbitVersion = (typeof RABBIT_VERSIONS)[number];
export const DEFAULT_RABBIT_VERSION: RabbitVersion = '4.0';

/** A quorum queue's delivery limit when the queue sets no x-delivery-limit (-1: no limit). */
export function defaultDeliveryLimit(version: RabbitVersion): number {
  return version === '3.10' ? -1 : 20;
}

/** Does a quorum queue put a returned message at the back of the queue (else back near the head)? */
export function returnsToBack(version: RabbitVersion): boolean {
  return version === '3.10';
}
