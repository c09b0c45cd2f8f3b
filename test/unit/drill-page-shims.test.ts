import { createHash as nodeCreateHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Buffer as PageBuffer } from '../../drill/page/shims/buffer.js';
import { createHash, md5 } from '../../drill/page/shims/node-crypto.js';
import { consistentHashKey } from '../../models/rocketmq/allocate.js';

/** The drill page's stand-ins for Node built-ins give what Node gives (the page's trace hash depends on it). */
describe('drill page shims', () => {
  const texts = ['', 'a', 'abc', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'billing-c1@0', 'héllo wörld ✓ '.repeat(13), 'broker-a:TopicTest:3'];

  it('md5 equals Node\'s for empty, padding-boundary, multi-block and non-ASCII inputs', () => {
    for (const text of texts) {
      const bytes = new TextEncoder().encode(text);
      expect(globalThis.Buffer.from(md5(bytes)).toString('hex'), JSON.stringify(text)).toBe(nodeCreateHash('md5').update(bytes).digest('hex'));
    }
  });

  it('createHash(md5).update(Buffer.from(key)).digest().readUInt32BE(0) is what RocketMQ\'s consistent hash reads', () => {
    for (const text of texts) {
      const page = createHash('md5').update(PageBuffer.from(text, 'utf8')).digest().readUInt32BE(0);
      expect(page, JSON.stringify(text)).toBe(consistentHashKey(text));
    }
    expect(() => createHash('sha1')).toThrow(/only has md5/);
  });
});
