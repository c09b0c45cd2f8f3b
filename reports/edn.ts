/**
 * EDN (extensible data notation, Clojure's data syntax: https://github.com/edn-format/edn), the
 * subset Jepsen histories use: nil, booleans, integers, floats, strings, keywords, vectors, lists,
 * maps and sets. Written here rather than taken from npm: the writer is a few lines, and the reader
 * only has to read back what Jepsen and mqsim write (the round-trip test, `fromJepsenHistory`).
 * Keywords are `Keyword` objects, maps are `Map`s (EDN map keys may be integers or vectors),
 * sets are `Set`s, vectors and lists are arrays.
 */

export class Keyword {
  private static readonly interned = new Map<string, Keyword>();
  private constructor(readonly name: string) {}
  /** One object per name, so keywords compare with ===. */
  static of(name: string): Keyword {
    let k = Keyword.interned.get(name);
    if (!k) {
      k = new Keyword(name);
      Keyword.interned.set(name, k);
    }
    return k;
  }
  toString(): string {
    return `:${this.name}`;
  }
}

export const kw = (name: string): Keyword => Keyword.of(name);

export type EdnValue = null | boolean | number | bigint | string | Keyword | EdnValue[] | Map<EdnValue, EdnValue> | Set<EdnValue>;

/** `{ :a 1 }` from a JS object with keyword keys (insertion order kept; undefined values left out). */
export function ednMap(entries: Record<string, EdnValue | undefined>): Map<EdnValue, EdnValue> {
  const map = new Map<EdnValue, EdnValue>();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) map.set(kw(k), v);
  return map;
}

function writeString(s: string): string {
  return '"' + s.replace(/[\\"\n\r\t]|[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case '"': return '\\"';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  }) + '"';
}

/** One EDN value as text, on one line. */
export function writeEdn(value: EdnValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return `${value}N`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`EDN has no ${value}`);
    if (Number.isInteger(value)) return String(value);
    const text = String(value);
    return /[.eE]/.test(text) ? text : `${text}.0`;
  }
  if (typeof value === 'string') return writeString(value);
  if (value instanceof Keyword) return `:${value.name}`;
  if (Array.isArray(value)) return `[${value.map(writeEdn).join(' ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${writeEdn(k)} ${writeEdn(v)}`).join(', ')}}`;
  if (value instanceof Set) return `#{${[...value].map(writeEdn).join(' ')}}`;
  throw new Error(`not an EDN value: ${String(value)}`);
}

export class EdnSyntaxError extends Error {
  override name = 'EdnSyntaxError';
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`${line}:${column}: ${message}`);
  }
}

const DELIMITER = /[\s,()[\]{}";]/;

/** Reads every top-level EDN value of a text (a Jepsen history.edn is one op map after another). */
export function readEdnAll(text: string): EdnValue[] {
  let pos = 0;
  const where = (at: number): [number, number] => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return [line, at - before.lastIndexOf('\n')];
  };
  const fail = (message: string, at = pos): never => {
    const [line, column] = where(at);
    throw new EdnSyntaxError(message, line, column);
  };
  const skip = () => {
    for (;;) {
      while (pos < text.length && (/\s/.test(text[pos]!) || text[pos] === ',')) pos++;
      if (text[pos] === ';') {
        while (pos < text.length && text[pos] !== '\n') pos++;
        continue;
      }
      if (text.startsWith('#_', pos)) {
        pos += 2;
        read();
        continue;
      }
      return;
    }
  };
  const readSeq = (close: string): EdnValue[] => {
    const items: EdnValue[] = [];
    for (;;) {
      skip();
      if (pos >= text.length) fail(`missing ${close}`);
      if (text[pos] === close) {
        pos++;
        return items;
      }
      items.push(read());
    }
  };
  const readString = (): string => {
    const start = pos++;
    let out = '';
    while (pos < text.length && text[pos] !== '"') {
      const c = text[pos++]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[pos++];
      if (e === 'n') out += '\n';
      else if (e === 't') out += '\t';
      else if (e === 'r') out += '\r';
      else if (e === '"' || e === '\\') out += e;
      else if (e === 'u') {
        const hex = text.slice(pos, pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape', pos);
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 4;
      } else fail(`bad escape \\${e ?? ''}`, pos - 1);
    }
    if (pos >= text.length) fail('unterminated string', start);
    pos++;
    return out;
  };
  const readToken = (): string => {
    const start = pos;
    while (pos < text.length && !DELIMITER.test(text[pos]!)) pos++;
    return text.slice(start, pos);
  };
  const read = (): EdnValue => {
    skip();
    if (pos >= text.length) fail('unexpected end of input');
    const c = text[pos]!;
    if (c === '[') {
      pos++;
      return readSeq(']');
    }
    if (c === '(') {
      pos++;
      return readSeq(')');
    }
    if (c === '{') {
      const start = pos++;
      const items = readSeq('}');
      if (items.length % 2 !== 0) fail('a map needs an even number of forms', start);
      const map = new Map<EdnValue, EdnValue>();
      for (let i = 0; i < items.length; i += 2) map.set(items[i]!, items[i + 1]!);
      return map;
    }
    if (c === '#' && text[pos + 1] === '{') {
      pos += 2;
      return new Set(readSeq('}'));
    }
    if (c === '"') return readString();
    if (c === ')' || c === ']' || c === '}') fail(`unexpected ${c}`);
    const start = pos;
    const token = readToken();
    if (token === '') fail(`unexpected ${c}`);
    // A tagged literal (#inst "...", #jepsen.history.Op {...}): the tag is dropped, the value kept.
    if (token.startsWith('#')) return read();
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':')) {
      if (token.length === 1) fail('empty keyword', start);
      return kw(token.slice(1));
    }
    if (/^[-+]?\d+N$/.test(token)) return BigInt(token.slice(0, -1));
    if (/^[-+]?\d+$/.test(token)) {
      const n = Number(token);
      return Number.isSafeInteger(n) ? n : BigInt(token);
    }
    if (/^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ''));
    // A symbol or a tagged literal's tag: kept as its text (Jepsen histories use neither).
    return token;
  };
  const values: EdnValue[] = [];
  for (;;) {
    skip();
    if (pos >= text.length) return values;
    values.push(read());
  }
}
