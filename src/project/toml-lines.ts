/**
 * Where each key of a TOML document is, by line (pure). TOML parsers give values, not positions,
 * and a problem must name FILE:LINE: this scan reads the source as TOML lays it out — table
 * headers (`[services.web]`), `key = value` lines with bare, quoted and dotted keys — and skips
 * what cannot hold a key of ours (comments, strings, multi-line strings and arrays). The parser
 * has judged the syntax by the time a position is asked for, so the scan need not.
 */

/** A key path as one string (its parts joined by NUL, which no TOML key holds unescaped). */
export const pathKey = (path: readonly string[]): string => path.join('\0');

export interface KeyLines {
  /** The line (1-based) where each key path is first given, headers included. */
  lines: Map<string, number>;
  /** Tables given twice (`[services.web]` two times): the path and both lines. */
  duplicates: { path: string[]; line: number; first: number }[];
}

/** Read a key (`a."b c".d`) from `text` at `i`: its parts and where it ends; null if none. */
function readKey(text: string, i: number): { parts: string[]; end: number } | null {
  const parts: string[] = [];
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      let part = '';
      while (j < text.length && text[j] !== c) {
        if (c === '"' && text[j] === '\\') {
          const esc = text[j + 1] ?? '';
          part += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
          j += 2;
        } else part += text[j++];
      }
      if (j >= text.length) return null;
      parts.push(part);
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) return null;
      parts.push(m[0]);
      i += m[0].length;
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '.') return { parts, end: i };
    i++;
  }
}

/** What is still open at the end of a line: a multi-line string, and the depth of brackets. */
interface Open {
  string: '"""' | "'''" | null;
  depth: number;
}

/** Scan a value (or its continuation) to the end of the line, updating what is open. */
function scanValue(line: string, from: number, open: Open): void {
  let i = from;
  while (i < line.length) {
    if (open.string) {
      const close = line.indexOf(open.string, i);
      if (close < 0) return;
      i = close + 3;
      while (line[i] === open.string[0]) i++; // up to two quotes may end the content
      open.string = null;
      continue;
    }
    const c = line[i]!;
    if (c === '#') return;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      open.string = line.slice(i, i + 3) as '"""' | "'''";
      i += 3;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < line.length && line[i] !== c) i += c === '"' && line[i] === '\\' ? 2 : 1;
      i++;
    } else {
      if (c === '[' || c === '{') open.depth++;
      else if (c === ']' || c === '}') open.depth = Math.max(0, open.depth - 1);
      i++;
    }
  }
}

export function keyLines(source: string): KeyLines {
  const lines = new Map<string, number>();
  const duplicates: KeyLines['duplicates'] = [];
  const headers = new Map<string, number>();
  let table: string[] = [];
  const open: Open = { string: null, depth: 0 };
  source.split('\n').forEach((line, index) => {
    const n = index + 1;
    if (open.string || open.depth > 0) {
      scanValue(line, 0, open); // inside a multi-line string or array: no key here
      return;
    }
    const start = line.length - line.trimStart().length;
    if (line[start] === '[') {
      const array = line[start + 1] === '[';
      const key = readKey(line, start + (array ? 2 : 1));
      if (!key) return;
      table = key.parts;
      const k = pathKey(table);
      const first = headers.get(k);
      if (first !== undefined && !array) duplicates.push({ path: table, line: n, first });
      else headers.set(k, n);
      for (let i = 1; i <= table.length; i++) {
        const prefix = pathKey(table.slice(0, i));
        if (!lines.has(prefix)) lines.set(prefix, n);
      }
      return;
    }
    const key = readKey(line, start);
    if (!key || line[key.end] !== '=') return;
    const full = [...table, ...key.parts];
    for (let i = table.length + 1; i <= full.length; i++) {
      const k = pathKey(full.slice(0, i));
      if (!lines.has(k)) lines.set(k, n);
    }
    scanValue(line, key.end + 1, open);
  });
  return { lines, duplicates };
}

/** The line of a key path, else of its nearest parent that has one, else 1. */
export function lineOf(found: KeyLines, path: readonly string[]): number {
  for (let i = path.length; i > 0; i--) {
    const line = found.lines.get(pathKey(path.slice(0, i)));
    if (line !== undefined) return line;
  }
  return 1;
}
