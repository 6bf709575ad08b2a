// `daemonkit COMMAND --help` lists every option the parser takes for that command, with its
// default; the defaults it shows are the real ones; docs/cli.md's option tables name exactly the
// options the parser takes (a missing or extra row fails here).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, FLAGS, parseArgs } from '../../dist/cli/args.js';
import { validateArgs } from '../../dist/cli/commands.js';
import { Problems } from '../../dist/config/options.js';
import { CLI, NODE, ROOT, run } from '../helpers.mjs';

const lead = (command) =>
  command === 'export'
    ? ['export', 'systemd']
    : command === 'completion'
      ? ['completion', 'bash']
      : [command];
/** Commands that take no --name: they act on every service, or on none. */
const NO_IDENTITY = ['list', 'top', 'completion'];

/** The options the parser takes for `command`, asked of the parser itself (not of a list). */
function accepted(command) {
  return Object.keys(FLAGS).filter((name) => {
    const { problems } = parseArgs([
      ...lead(command),
      `--${name}`,
      ...(FLAGS[name].takesValue ? ['x'] : []),
    ]);
    return !problems.some((p) => p.includes('does not apply'));
  });
}

/** The short aliases the parser takes for `command`: { n: 'name', … }. */
function shorts(command) {
  const out = {};
  for (const letter of 'abcdefghijklmnopqrstuvwxyz') {
    const { args, problems } = parseArgs([...lead(command), `-${letter}`, 'x']);
    if (
      problems.some((p) => p.startsWith("unexpected argument '-") || p.includes('does not apply'))
    )
      continue;
    const name = Object.keys(args?.flags ?? {}).find((k) => k !== 'shell'); // completion's SHELL
    if (name) out[letter] = name;
  }
  return out;
}

describe('COMMAND --help', () => {
  test('the parser is asked sensibly: start takes --chdir, stop does not', () => {
    assert.ok(accepted('start').includes('chdir'));
    assert.ok(!accepted('stop').includes('chdir'));
    assert.deepEqual(shorts('logs'), { f: 'follow', n: 'lines', p: 'pidfile', q: 'quiet' });
  });
  for (const command of [...COMMANDS, 'ls']) {
    const cmd = command === 'ls' ? 'list' : command;
    test(`${command} --help: its usage, and each option it takes with its default and help`, async () => {
      const r = await run(NODE, ['--', CLI, ...lead(command), '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(
        r.stdout.startsWith(
          `usage: daemonkit ${cmd === 'completion' ? 'completion bash|zsh|fish' : lead(cmd).join(' ')}`,
        ),
        r.stdout,
      );
      const lines = r.stdout.split('\n');
      const aliases = Object.entries(shorts(cmd));
      for (const name of accepted(cmd)) {
        const f = FLAGS[name];
        const alias = aliases.find(([, n]) => n === name)?.[0];
        const head = `${alias ? `-${alias}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''} `;
        const line = lines.find((l) => l.startsWith(`  ${head}`));
        assert.ok(line, `no line for --${name} (${head.trim()}) in:\n${r.stdout}`);
        assert.ok(line.includes(f.help), `--${name}: its help`);
        const dflt = f.default ?? f.defaultText;
        if (dflt !== undefined)
          assert.ok(line.endsWith(`(default: ${dflt})`), `--${name}: its default, in ${line}`);
      }
      const listed = lines
        .filter((l) => /^ {2}(-[a-z], | {4})--/.test(l))
        .map((l) =>
          l
            .trim()
            .replace(/^-[a-z], /, '')
            .split(' ')[0]
            .slice(2),
        );
      assert.deepEqual(listed, [...accepted(cmd), 'help'], 'nothing else is listed');
    });
  }
  test('help COMMAND says the same; none (or help help): the general usage', async () => {
    assert.equal(
      (await run(NODE, ['--', CLI, 'help', 'stop'])).stdout,
      (await run(NODE, ['--', CLI, 'stop', '-h'])).stdout,
    );
    const general = await run(NODE, ['--', CLI, '--help']);
    assert.match(general.stdout, /^usage:\n {2}daemonkit start/);
    for (const argv of [['help'], ['help', 'help'], ['-h']]) {
      const r = await run(NODE, ['--', CLI, ...argv]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, general.stdout, ''], argv.join(' '));
    }
  });
  test('help for an unknown command: said as for the command itself (did you mean …), exit 2', async () => {
    const plain = await run(NODE, ['--', CLI, 'delete']);
    assert.deepEqual(
      [plain.code, plain.stdout, plain.stderr],
      [2, '', "daemonkit: unknown command 'delete': did you mean 'rm'?\n"],
    );
    for (const argv of [
      ['help', 'delete'],
      ['delete', '--help'],
      ['delete', '-h', 'web'],
    ]) {
      const r = await run(NODE, ['--', CLI, ...argv]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', plain.stderr], argv.join(' '));
    }
    const none = await run(NODE, ['--', CLI, 'help', 'nope']);
    assert.deepEqual([none.code, none.stdout], [2, '']);
    assert.match(none.stderr, /^daemonkit: unknown command 'nope': use one of start, /);
  });
  test('list -q does what its help says: prints nothing', async () => {
    const r = await run(NODE, ['--', CLI, 'list', '-q'], {
      env: { DAEMONKIT_HOME: '/nonexistent-dk-home' },
    });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });
  test("--help after -- is the COMMAND's, not ours", async () => {
    const r = await run(NODE, [
      '--',
      CLI,
      'export',
      'systemd',
      '--name',
      'x',
      '--',
      '/bin/echo',
      '--help',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ExecStart=\/bin\/echo --help$/m);
  });
});

const SAMPLE = {
  'log-max-size': '1M',
  ready: 'notify',
  user: 'root',
  listen: 'unix:/tmp/x.sock',
};

describe('the defaults the help shows are the real ones: giving one changes nothing', () => {
  test('each option another needs has a sample value here', () => {
    for (const f of Object.values(FLAGS)) if (f.needs) assert.ok(SAMPLE[f.needs], f.needs);
  });
  for (const command of COMMANDS) {
    for (const name of accepted(command).filter((n) => FLAGS[n].default !== undefined)) {
      test(`${command} --${name} ${FLAGS[name].default}`, () => {
        // An option valid only with another gets that one on both sides.
        const needed = FLAGS[name].needs
          ? [`--${FLAGS[name].needs}`, SAMPLE[FLAGS[name].needs]]
          : [];
        const validate = (extra) => {
          const identity = NO_IDENTITY.includes(command) ? [] : ['--name', 'x'];
          const command_ = ['start', 'run', 'restart', 'export'].includes(command)
            ? ['--', '/bin/true']
            : [];
          const { args, problems } = parseArgs([
            ...lead(command),
            ...identity,
            ...needed,
            ...extra,
            ...command_,
          ]);
          assert.deepEqual(problems, []);
          const p = new Problems();
          // What the command would do, validated (restart's plan also keeps what was given).
          const { plan: _given, ...out } = validateArgs(args, p);
          assert.deepEqual(p.list, []);
          return out;
        };
        assert.deepEqual(validate([`--${name}`, FLAGS[name].default]), validate([]));
      });
    }
  }
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
    if (!section) continue;
    if (/^\| option \|/.test(line)) inOptions = true;
    else if (!line.startsWith('|')) inOptions = false;
    else if (inOptions && !line.startsWith('| ---')) {
      const cells = line.split(' | ');
      const names = [...cells[0].matchAll(/`--([a-z-]+)/g)].map((m) => m[1]);
      for (const name of names)
        sections[section].push({
          name,
          default: cells.length > 2 ? cells[1].replaceAll('`', '').trim() : undefined,
        });
    }
  }
  return sections;
}

// Which sections of docs/cli.md document each command's options.
const DOC_SECTIONS = {
  start: ['Identity: which service', 'start'],
  run: ['Identity: which service', 'start', 'Services file'],
  restart: ['Identity: which service', 'start', 'stop', 'restart', 'Services file'],
  export: ['Identity: which service', 'start', 'stop', 'export systemd'],
  stop: ['Identity: which service', 'stop', 'Services file'],
  status: ['Identity: which service', 'status', 'Services file'],
  reload: ['Identity: which service', 'reload', 'Services file'],
  reopen: ['Identity: which service', 'Services file'],
  rm: ['Identity: which service', 'Services file'],
  logs: ['Identity: which service', 'Logs', 'Services file'],
  list: ['list'],
  top: ['top'],
  completion: ['completion'],
  up: ['up'],
  down: ['down'],
};

describe('docs/cli.md lists exactly the options each command takes', () => {
  const docs = docOptions();
  for (const command of COMMANDS) {
    test(command, () => {
      for (const s of DOC_SECTIONS[command])
        assert.ok(docs[s], `docs/cli.md has a section "## ${s}"`);
      const documented = new Set(
        DOC_SECTIONS[command].flatMap((s) => docs[s].map((row) => row.name)),
      );
      assert.deepEqual([...documented].sort(), accepted(command).sort());
    });
  }
  test("a default in a docs table is the table's (FLAGS) default", () => {
    const rows = Object.values(docs)
      .flat()
      .filter((row) => row.default !== undefined && FLAGS[row.name]?.default !== undefined);
    assert.ok(rows.length >= 10, `${rows.length} rows with a default`);
    for (const row of rows) assert.equal(row.default, FLAGS[row.name].default, `--${row.name}`);
  });
});
