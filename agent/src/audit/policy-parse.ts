// Reads a policy file's text into a tree whose every node knows its line and column,
// so that a syntax error and a validation error (unknown key, wrong type) both point at
// the offending line. JSON is parsed by a strict RFC 8259 reader of our own (JSON.parse
// gives no position in every Node version); YAML by the `yaml` package (its AST carries
// offsets), rejecting multiple documents, aliases and custom tags.

import { createRequire } from 'node:module';
import type { Node as YamlNode } from 'yaml';

// the YAML parser is loaded when a YAML policy is read, not by every run (startup time)
let yamlModule: typeof import('yaml') | null = null;
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

export type PValue = string | number | boolean | null;

export type PNode =
  | { kind: 'map'; line: number; col: number; entries: PEntry[] }
  | { kind: 'seq'; line: number; col: number; items: PNode[] }
  | { kind: 'scalar'; line: number; col: number; value: PValue };

export interface PEntry {
  key: string;
  line: number;
  col: number;
  value: PNode;
}

export class PolicySyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly col: number) {
    super(message);
  }
}

function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: pos - last };
}

// ---- JSON (RFC 8259), with positions

export function parseJson(text: string): PNode {
  let i = 0;
  const fail = (msg: string, at = i): never => {
    const { line, col } = lineCol(text, at);
    throw new PolicySyntaxError(at >= text.length ? `${msg} (unexpected end of input)` : msg, line, col);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail('invalid escape in string');
      } else if (c.charCodeAt(0) < 0x20) fail('control character in string');
      else {
        out += c;
        i++;
      }
    }
  };
  const value = (): PNode => {
    ws();
    const { line, col } = lineCol(text, i);
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: PEntry[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'map', line, col, entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a "quoted" key');
        const kpos = lineCol(text, i);
        const key = str();
        if (entries.some((e) => e.key === key)) fail(`duplicate key "${key}"`, i - key.length - 2);
        ws();
        if (text[i] !== ':') fail("expected ':' after the key");
        i++;
        entries.push({ key, line: kpos.line, col: kpos.col, value: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'map', line, col, entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: PNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'seq', line, col, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'seq', line, col, items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'scalar', line, col, value: str() };
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (num) {
      i += num[0].length;
      return { kind: 'scalar', line, col, value: Number(num[0]) };
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { kind: 'scalar', line, col, value: v };
      }
    }
    return fail('expected a value');
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
  const root = value();
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return root;
}

// ---- YAML, converted to the same tree

export function parseYaml(text: string): PNode {
  const { LineCounter, parseDocument, isAlias, isMap, isSeq, isScalar } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const err = doc.errors[0];
  if (err) {
    // an unclosed bracket or quote is detected where the next line (or the end) starts:
    // point at the last text before it, the line the reader has to fix
    let at = Math.min(err.pos[0], text.length);
    const unclosed = err.code === 'MISSING_CHAR' || (err.code === 'BAD_INDENT' && /^Flow/.test(err.message));
    if (unclosed && (at === text.length || lc.linePos(at).col === 1)) {
      let back = at;
      while (back > 0 && /\s/.test(text[back - 1])) back--;
      if (back > 0 && back < at) at = back - 1; // the last non-space character
    }
    const p = lc.linePos(at);
    const what = err.code === 'MULTIPLE_DOCS' ? 'a policy is one YAML document (found a second "---")' : err.message.split('\n')[0];
    throw new PolicySyntaxError(what, p.line, p.col);
  }
  const at = (n: { range?: [number, number, number] | null } | null | undefined): { line: number; col: number } =>
    n?.range ? lc.linePos(n.range[0]) : { line: 1, col: 1 };
  const convert = (n: unknown): PNode => {
    const { line, col } = at(n as YamlNode);
    if (n === null || n === undefined) return { kind: 'scalar', line, col, value: null };
    if (isAlias(n)) throw new PolicySyntaxError('YAML aliases are not supported in a policy', line, col);
    if ((n as { tag?: string }).tag && !/^tag:yaml\.org,2002:(str|int|float|bool|null|map|seq)$/.test((n as { tag: string }).tag))
      throw new PolicySyntaxError(`unsupported YAML tag ${(n as { tag: string }).tag}`, line, col);
    if (isMap(n)) {
      const entries: PEntry[] = [];
      for (const pair of n.items) {
        const k = pair.key;
        const kp = at(k as YamlNode);
        if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) throw new PolicySyntaxError('keys must be plain names', kp.line, kp.col);
        entries.push({ key: String(k.value), line: kp.line, col: kp.col, value: convert(pair.value) });
      }
      return { kind: 'map', line, col, entries };
    }
    if (isSeq(n)) return { kind: 'seq', line, col, items: n.items.map(convert) };
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', line, col, value: v };
      return { kind: 'scalar', line, col, value: String(v) };
    }
    throw new PolicySyntaxError('unsupported YAML node', line, col);
  };
  if (doc.contents === null) return { kind: 'map', line: 1, col: 1, entries: [] };
  return convert(doc.contents);
}

/** JSON (strict) when the file name ends in .json; YAML (a superset of JSON) otherwise. */
export function parsePolicyText(text: string, name: string): PNode {
  if (/\.json$/i.test(name)) return parseJson(text);
  return parseYaml(text);
}
