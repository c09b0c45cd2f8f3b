/**
 * SelectMessageQueueByHash (client/.../producer/selector in apache/rocketmq), the selector
 * behind ordered messages: every message sent with the same `arg` (an order id, say) goes to the
 * same queue, so a consumer sees them in send order.
 */

/**
 * Java's String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, wrapping at
 * 32 bits. JavaScript strings are UTF-16 too, so charCodeAt gives Java's chars, astral
 * characters included (as their two surrogates).
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  // Math.imul keeps the product in int32 where a float multiply would lose the low bits.
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The index of the queue SelectMessageQueueByHash picks among `queueCount` queues for a String
 * `arg`: hashCode % size, negated when negative. Java's % keeps the dividend's sign, as
 * JavaScript's does; the remainder's magnitude is below queueCount, so Math.abs cannot overflow.
 */
export function selectQueueByHash(arg: string, queueCount: number): number {
  // Java divides by mqs.size(): an empty list throws ArithmeticException("/ by zero").
  if (queueCount === 0) throw new Error('/ by zero');
  if (!Number.isInteger(queueCount) || queueCount < 0 || queueCount > 0x7fffffff) {
    throw new RangeError(`queueCount must be a list size (a non-negative int), got ${queueCount}`);
  }
  // `| 0` turns JavaScript's -0 (a negative hash with no remainder) into Java's int 0.
  const value = (javaStringHashCode(arg) % queueCount) | 0;
  return value < 0 ? Math.abs(value) : value;
}
