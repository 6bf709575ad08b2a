/**
 * Environment files in dotenv syntax (pure): `KEY=value`, `export KEY=value`, `# comments`,
 * "double quotes" with \n \t \" \\ escapes, 'single quotes' taken literally, and an unquoted
 * value ending at ` #`. A bad line is reported with its number.
 */
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', $: '$' };

export function parseEnvFile(text: string): { vars: [string, string][]; problems: string[] } {
  const vars: [string, string][] = [];
  const problems: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    const n = index + 1;
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq < 0) {
      problems.push(`line ${n}: expected KEY=VALUE`);
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push(`line ${n}: '${key}' is not a variable name`);
      continue;
    }
    const rest = body.slice(eq + 1).trimStart();
    const value = parseValue(rest);
    if (typeof value !== 'string') {
      problems.push(`line ${n}: ${value.error}`);
      continue;
    }
    vars.push([key, value]);
  }
  return { vars, problems };
}

function parseValue(rest: string): string | { error: string } {
  const quote = rest[0];
  if (quote !== '"' && quote !== "'") {
    const hash = rest.search(/\s#/);
    return (hash >= 0 ? rest.slice(0, hash) : rest).trimEnd();
  }
  let out = '';
  for (let i = 1; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === quote) {
      const after = rest.slice(i + 1).trim();
      if (after !== '' && !after.startsWith('#'))
        return { error: `unexpected text after the closing quote: ${after}` };
      return out;
    }
    if (quote === '"' && c === '\\' && i + 1 < rest.length) {
      const next = rest[++i]!;
      out += ESCAPES[next] ?? `\\${next}`;
    } else {
      out += c;
    }
  }
  return { error: `unterminated ${quote === '"' ? 'double' : 'single'} quote` };
}
