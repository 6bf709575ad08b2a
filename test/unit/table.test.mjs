// The option table (src/config/table/): every row whole and consistent with itself, the docs and
// the C side; and what is derived from it for a service file (keys, values, JSON Schema).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMMANDS,
  LIMIT_DIRECTIVES,
  LIMIT_NAMES,
  OPTIONS,
  optionKey,
  optionKeys,
  optionRow,
  optionsJsonSchema,
  optionsOf,
  parseOptionValue,
  shortsFor,
} from '../../dist/config/table/index.js';
import { DEFAULT_POLICY } from '../../dist/config/restart-policy.js';
import { DEFAULT_LOG_POLICY } from '../../dist/config/log-policy.js';
import { SYSTEMD } from '../../dist/export/systemd.js';
import { ROOT } from '../helpers.mjs';

describe('every row', () => {
  for (const row of OPTIONS) {
    test(`--${row.name}`, () => {
      assert.match(row.name, /^[a-z][a-z-]*$/);
      assert.ok(row.help.length > 5 && !row.help.includes('\n'), 'one line of help');
      assert.equal(typeof row.kind.parse, 'function', 'a kind');
      assert.equal(typeof row.kind.recorded.ok, 'function');
      assert.ok(row.kind.schema && typeof row.kind.schema === 'object', 'a JSON Schema');
      assert.ok(row.commands === 'all' || row.commands.length > 0, 'some command takes it');
      for (const c of row.commands === 'all' ? [] : row.commands) assert.ok(COMMANDS.includes(c));
      assert.ok(row.doc.length > 0, 'a docs section');
      assert.ok(!(row.default !== undefined && row.defaultText !== undefined), 'one default');
      if (row.needs) assert.ok(optionRow(row.needs), `--${row.needs} is a row`);
      if (row.repeatable) assert.ok(row.kind.value, 'a repeatable option takes a value');
    });
    if (row.default !== undefined)
      test(`--${row.name}'s default ${row.default} passes its own check`, () => {
        const parsed = row.kind.parse(row.default);
        assert.ok(parsed.ok, parsed.why);
      });
  }
  test('names and library names are each once', () => {
    assert.equal(new Set(OPTIONS.map((r) => r.name)).size, OPTIONS.length);
    assert.equal(new Set(OPTIONS.map(optionKey)).size, OPTIONS.length);
  });
  test('a short alias means one option on each command', () => {
    for (const c of COMMANDS) {
      const shorts = shortsFor(c);
      assert.equal(new Set(Object.values(shorts)).size, Object.keys(shorts).length, c);
    }
    assert.equal(shortsFor('logs').n, 'lines');
    assert.equal(shortsFor('status').n, 'name');
  });
  test('the restart and log policies default to the rows’ defaults', () => {
    const ms = (name) => optionRow(name).kind.parse(optionRow(name).default).value;
    assert.deepEqual(
      {
        restart: ms('restart'),
        delayMs: ms('restart-delay'),
        maxDelayMs: ms('restart-max-delay'),
        minUptimeMs: ms('min-uptime'),
        maxRestarts: ms('max-restarts'),
        windowMs: ms('restart-window'),
      },
      DEFAULT_POLICY,
    );
    assert.equal(ms('log-keep'), DEFAULT_LOG_POLICY.keep);
  });
});

describe('the systemd export', () => {
  test('every row export takes has a directive, a stated loss, or why there is nothing', () => {
    for (const row of optionsOf('export')) {
      const m = SYSTEMD[row.name];
      assert.ok(m, `--${row.name} in SYSTEMD`);
      assert.ok(m.unit !== '' || m.lost || row.noUnit, `--${row.name}: neither`);
    }
  });
  test('a row that says it has no directive is one the export says when it loses', () => {
    for (const row of optionsOf('export'))
      if (row.systemd === '' && !row.noUnit) assert.ok(SYSTEMD[row.name].lost, row.name);
  });
});

describe('--limit names: once, and the same in spawn.c', () => {
  test('spawn.c maps exactly the table’s names to RLIMIT_*', () => {
    const c = readFileSync(join(ROOT, 'native', 'spawn.c'), 'utf8');
    const inC = [...c.matchAll(/!strcmp\(name, "([a-z]+)"\)\) return RLIMIT_/g)].map((m) => m[1]);
    assert.deepEqual([...inC].sort(), [...LIMIT_NAMES].sort());
  });
  test('each has its systemd directive', () => {
    for (const name of LIMIT_NAMES) assert.match(LIMIT_DIRECTIVES[name], /^Limit[A-Z]+$/);
  });
});

/** docs/cli.md: the option rows (`| \`--x …\` | …`) of each `## ` section's option tables. */
function docOptions() {
  const text = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const sections = {};
  let section = null;
  let inOptions = false;
  for (const line of text.split('\n')) {
    const h = /^## (.+)$/.exec(line);
    if (h) {
      section = h[1];
      sections[section] = [];
      continue;
    }
    if (/^\| option \| (default \| )?meaning \|/.test(line)) inOptions = true;
    else if (!line.startsWith('|')) inOptions = false;
    else if (inOptions && section && !line.startsWith('| ---')) {
      const cells = line.split(' | ');
      const head = /^\| `--([a-z-]+)( [^`]*)?`/.exec(cells[0]);
      if (head)
        sections[section].push({
          name: head[1],
          value: head[2]?.trim(),
          default: cells.length > 2 ? cells[1].replaceAll('`', '').trim() : undefined,
        });
    }
  }
  return sections;
}

describe('docs/cli.md documents each row where the row says, as the row says', () => {
  const docs = docOptions();
  const sections = [...new Set(OPTIONS.flatMap((r) => r.doc))];
  for (const section of sections) {
    test(`## ${section}`, () => {
      assert.ok(docs[section], `a section "## ${section}"`);
      const rows = OPTIONS.filter((r) => r.doc.includes(section)).map((r) => r.name);
      assert.deepEqual(docs[section].map((d) => d.name).sort(), [...rows].sort());
      for (const d of docs[section]) {
        const row = optionRow(d.name);
        assert.equal(d.value, row.kind.value, `--${d.name}: its value's name`);
        if (row.default !== undefined && d.default !== undefined)
          assert.equal(d.default, row.default, `--${d.name}: its default`);
      }
    });
  }
});

describe('a service file: keys, values, schema', () => {
  test('its keys are the long names of a start and a stop, but the name and -q', () => {
    const keys = optionKeys('restart');
    assert.ok(keys.includes('umask') && keys.includes('limit') && keys.includes('retry'));
    assert.ok(!keys.includes('name') && !keys.includes('quiet'));
    assert.ok(!keys.includes('pidfile')); // the identity is the file's: PROJECT.SERVICE
    assert.ok(!optionKeys('start').includes('timeout'));
  });
  const cases = [
    ['umask', '0077', { ok: true, value: 0o77 }],
    [
      'umask',
      '999',
      { ok: false, why: "invalid --umask '999': use an octal mask such as 022 or 0077" },
    ],
    ['nice', 5, { ok: true, value: 5 }],
    ['nice', 20, { ok: false, why: "invalid --nice '20': a nice value from -20 to 19" }],
    ['log-timestamps', true, { ok: true, value: true }],
    ['log-timestamps', 'yes', { ok: false, why: '--log-timestamps: want true or false' }],
    ['chdir', true, { ok: false, why: '--chdir: want a value (DIR)' }],
    ['max-restarts', 'infinity', { ok: true, value: null }],
    ['env', ['A=1', 'B=2'], { ok: true, value: ['A=1', 'B=2'] }],
    ['env', 'A=1', { ok: true, value: ['A=1'] }],
    [
      'limit',
      ['nofile=10', 'nofile=20'],
      {
        ok: false,
        why: "invalid --limit 'nofile=20': nofile is already set by --limit 'nofile=10' (give each limit once)",
      },
    ],
    ['ready', { kind: 'notify' }, { ok: false, why: '--ready: want a value (MODE)' }],
    ['restart-delay', '2s', { ok: true, value: 2000 }],
  ];
  for (const [name, value, want] of cases)
    test(`${name} = ${JSON.stringify(value)}`, () =>
      assert.deepEqual(parseOptionValue(optionRow(name), value), want));
  test('the JSON Schema has one property per key, lists for the repeatable ones', () => {
    const schema = optionsJsonSchema('restart');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties), optionKeys('restart'));
    assert.equal(schema.properties.env.oneOf[0].type, 'array'); // or a table: env = { K = "v" }
    assert.deepEqual(schema.properties.restart.enum, ['no', 'on-failure', 'always']);
    assert.equal(schema.properties.nice.maximum, 19);
  });
});
