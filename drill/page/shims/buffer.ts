/**
 * The one use of Node's Buffer the models make that can run in the page: `Buffer.from(text,
 * 'utf8')` for the bytes of a key (RocketMQ's consistent-hash allocation). esbuild injects this
 * where the bundle refers to the global `Buffer`.
 */
export const Buffer = {
  from(text: string, encoding: 'utf8'): Uint8Array {
    if (encoding !== 'utf8') throw new Error(`the drill page's Buffer only encodes utf8, not ${String(encoding)}`);
    return new TextEncoder().encode(text);
  },
};
