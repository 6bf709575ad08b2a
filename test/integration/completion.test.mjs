// `daemonkit completion bash|zsh|fish`, run by the real shells: bash calls _daemonkit with
// COMP_WORDS as it would at a Tab; zsh runs the same function through its bashcompinit (in sh
// emulation, as _bash_complete does); fish answers `complete -C`. Service names come from
// $DAEMONKIT_HOME's directories.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, FLAGS, parseArgs } from '../../dist/cli/args.js';
import { daemonkitHome } from '../../dist/config/paths.js';
import { CLI, NODE, run } from '../helpers.mjs';

const home = mkdtempSync(join(tmpdir(), 'dk-compl-'));
for (const name of ['web', 'worker', 'db.1', '.pidfile']) mkdirSync(join(home, name));
writeFileSync(join(home, 'not-a-dir'), '');
// Directory names another user (or an unlucky tool) may leave under the home: none is a service
// name
// (src/config/paths.ts' rule), so none is offered, and no shell runs or globs any part of one.
const hostile = mkdtempSync(join(tmpdir(), 'dk-compl-hostile-'));
const hostileNames = [
  'a$(touch PWNED)',
  'a$(touch${IFS}PWN1)',
  'b`touch PWN2`',
  'c d',
  '*',
  'e*',
  'f?',
  '[a-z]',
  'g\n$(touch PWN3)',
  'web;touch PWN4',
  "h'$(touch PWN5)'",
  '-x',
  '.hidden',
  'x'.repeat(65),
  'é',
];
const validNames = ['web', 'a', 'v'.repeat(64)];
for (const name of [...hostileNames, ...validNames]) mkdirSync(join(hostile, name));
/** An empty directory for the shells to run in: a name's command would leave its file here. */
const scratch = mkdtempSync(join(tmpdir(), 'dk-compl-cwd-'));
writeFileSync(join(scratch, 'afile'), ''); // for a glob (`*`, `e*`, `[a-z]`) to expand to, were one expanded
const created = () => readdirSync(scratch).filter((f) => f !== 'afile');
after(() => {
  for (const dir of [home, hostile, scratch]) rmSync(dir, { recursive: true, force: true });
});

const script = (shell) =>
  execFileSync(NODE, ['--', CLI, 'completion', shell], { encoding: 'utf8' });
const have = (shell) => {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`]);
    return true;
  } catch {
    return false;
  }
};
const q = (word) => `'${word.replaceAll("'", "'\\''")}'`;

/** bash: the completions of the last word of `words`, as a Tab there would offer them. */
async function bash(words, env = { DAEMONKIT_HOME: home }) {
  const r = await run(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      `source <(${q(NODE)} -- ${q(CLI)} completion bash); COMP_WORDS=(${words.map(q).join(' ')}); COMP_CWORD=${words.length - 1}; _daemonkit; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { env, cwd: scratch },
  );
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  return r.stdout.split('\n').filter(Boolean);
}

/** The options the parser takes for a command, asked of the parser. */
function accepted(command) {
  const lead =
    command === 'export'
      ? ['export', 'systemd']
      : command === 'completion'
        ? ['completion', 'bash']
        : [command];
  return Object.keys(FLAGS).filter(
    (name) =>
      !parseArgs([...lead, `--${name}`, ...(FLAGS[name].takesValue ? ['x'] : [])]).problems.some(
        (p) => p.includes('does not apply'),
      ),
  );
}

describe('bash', () => {
  const cases = [
    [
      ['daemonkit', 'st'],
      ['start', 'stop', 'status'],
    ],
    [
      ['daemonkit', 'l'],
      ['list', 'logs', 'ls'],
    ],
    [['daemonkit', '--v'], ['--version']],
    [
      ['daemonkit', 'status', '--name', ''],
      ['db.1', 'web', 'worker'],
    ],
    [
      ['daemonkit', 'stop', '-n', 'w'],
      ['web', 'worker'],
    ],
    [
      ['daemonkit', 'status', '--name', '=', 'w'],
      ['web', 'worker'],
    ], // --name=w: bash splits at '='
    [['daemonkit', 'logs', '-n', ''], []], // in logs, -n is the line count
    [
      ['daemonkit', 'start', '--rest'],
      ['--restart', '--restart-delay', '--restart-max-delay', '--restart-window'],
    ],
    [
      ['daemonkit', 'start', '--restart', ''],
      ['no', 'on-failure', 'always'],
    ],
    [
      ['daemonkit', 'start', '--ready', ''],
      ['notify', 'tcp:', 'fd:'],
    ],
    [
      ['daemonkit', 'reload', '--signal', 'U'],
      ['USR1', 'USR2'],
    ],
    [['daemonkit', 'start', '--grace', ''], []],
    [['daemonkit', 'export', ''], ['systemd']],
    [
      ['daemonkit', 'completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['daemonkit', 'help', 'to'], ['top']],
    [
      ['daemonkit', 'top', '--'],
      ['--interval', '--no-color', '--quiet', '--help'],
    ],
    [['daemonkit', 'ls', '--j'], ['--json']],
  ];
  for (const [words, want] of cases) {
    test(words.slice(1).join(' ') || '(nothing)', async () =>
      assert.deepEqual((await bash(words)).sort(), want.sort()),
    );
  }
  test('after --: a program, then files', async () => {
    assert.ok((await bash(['daemonkit', 'start', '--name', 'x', '--', 'slee'])).includes('sleep'));
    const files = await bash(['daemonkit', 'start', '--', 'sleep', `${home}/not-`]);
    assert.deepEqual(files, [`${home}/not-a-dir`]);
  });
  test('files for --stdout, directories for --chdir', async () => {
    assert.deepEqual(await bash(['daemonkit', 'start', '--stdout', `${home}/not-`]), [
      `${home}/not-a-dir`,
    ]);
    assert.deepEqual((await bash(['daemonkit', 'start', '--chdir', `${home}/w`])).sort(), [
      `${home}/web`,
      `${home}/worker`,
    ]);
  });
  for (const command of COMMANDS) {
    test(`${command}: exactly the options the parser takes, and --help`, async () => {
      const lead = command === 'export' ? ['export', 'systemd'] : [command];
      if (command === 'completion')
        return assert.deepEqual(await bash(['daemonkit', 'completion', 'bash', '--']), []);
      const offered = (await bash(['daemonkit', ...lead, '--'])).filter((w) => w !== '--');
      assert.deepEqual(
        offered.sort(),
        [...accepted(command).map((n) => `--${n}`), '--help'].sort(),
      );
    });
  }
  test('hostile directory names: only valid names are offered, nothing in a name is run or globbed', async () => {
    assert.deepEqual(
      (await bash(['daemonkit', 'status', '--name', ''], { DAEMONKIT_HOME: hostile })).sort(),
      validNames.sort(),
    );
    assert.deepEqual(await bash(['daemonkit', 'stop', '-n', 'a'], { DAEMONKIT_HOME: hostile }), [
      'a',
    ]);
    assert.deepEqual(created(), []);
  });
  test('files with spaces and glob characters are offered whole', async () => {
    assert.deepEqual(await bash(['daemonkit', 'start', '--stdout', `${hostile}/c`]), [
      `${hostile}/c d`,
    ]);
    assert.deepEqual(await bash(['daemonkit', 'start', '--chdir', `${hostile}/e`]), [
      `${hostile}/e*`,
    ]);
    assert.deepEqual(created(), []);
  });
  test('no home: no names, no error', async () => {
    assert.deepEqual(
      await bash(['daemonkit', 'status', '--name', ''], { DAEMONKIT_HOME: join(home, 'none') }),
      [],
    );
  });
  test("the default home is daemonkit's (paths.ts): root's /run/daemonkit; else $XDG_RUNTIME_DIR/daemonkit; else ~/.local/state/daemonkit", {
    skip: process.getuid() !== 0 && 'needs root to act as another user',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-compl-sh-'));
    chmodSync(dir, 0o755); // for the other user to read the script
    writeFileSync(join(dir, 'bash.sh'), script('bash'), { mode: 0o644 });
    try {
      const homeOf = async (env, user) => {
        const shell = [
          'bash',
          '--norc',
          '--noprofile',
          '-c',
          `source ${q(join(dir, 'bash.sh'))}; _daemonkit_home`,
        ];
        const r = user
          ? await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...shell], {
              env: { DAEMONKIT_HOME: '', ...env },
            })
          : await run(shell[0], shell.slice(1), { env: { DAEMONKIT_HOME: '', ...env } });
        assert.equal(r.stderr, '');
        return r.stdout.trim();
      };
      const cases = [
        [{}, false, '/run/daemonkit', 0],
        [{ XDG_RUNTIME_DIR: '/tmp/xdg-x' }, true, '/tmp/xdg-x/daemonkit', 65534],
        [{ XDG_RUNTIME_DIR: '', HOME: '/h1' }, true, '/h1/.local/state/daemonkit', 65534],
        [{ XDG_RUNTIME_DIR: 'relative', HOME: '/h2' }, true, '/h2/.local/state/daemonkit', 65534],
      ];
      for (const [env, user, want, uid] of cases) {
        if (!env.HOME)
          assert.equal(daemonkitHome({ ...env }, uid), want, 'the test agrees with paths.ts');
        assert.equal(await homeOf(env, user), want, JSON.stringify(env));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('zsh (its bashcompinit)', { skip: !have('zsh') && 'zsh is not installed' }, () => {
  /** The candidates _daemonkit hands zsh (zsh itself then matches them against the word). */
  async function zsh(words, env = { DAEMONKIT_HOME: home }) {
    const r = await run(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -U compinit && compinit -u; source <(${q(NODE)} -- ${q(CLI)} completion zsh)
print -r -- "registered: $_comps[daemonkit]"
emulate -L sh; setopt kshglob noshglob braceexpand
COMP_WORDS=(${words.map(q).join(' ')}); COMP_CWORD=${words.length - 1}; _daemonkit; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { env, cwd: scratch },
    );
    assert.equal(r.stderr, '');
    const [registered, ...out] = r.stdout.split('\n').filter(Boolean);
    assert.equal(registered, 'registered: _bash_complete -F _daemonkit');
    return out;
  }
  test('commands, options, names', async () => {
    const commands = await zsh(['daemonkit', 'st']); // all of them: zsh matches them against "st"
    for (const c of ['start', 'stop', 'status', 'top', 'completion'])
      assert.ok(commands.includes(c), c);
    assert.deepEqual((await zsh(['daemonkit', 'status', '--name', ''])).sort(), [
      'db.1',
      'web',
      'worker',
    ]);
    assert.deepEqual(await zsh(['daemonkit', 'export', '']), ['systemd']);
    assert.ok((await zsh(['daemonkit', 'start', '--rest'])).includes('--restart-delay'));
  });
  test('hostile directory names: only valid names are offered, nothing in a name is run', async () => {
    assert.deepEqual(
      (await zsh(['daemonkit', 'status', '--name', ''], { DAEMONKIT_HOME: hostile })).sort(),
      validNames.sort(),
    );
    assert.deepEqual(created(), []);
  });
});

describe('fish', { skip: !have('fish') && 'fish is not installed' }, () => {
  async function fish(line, env = { DAEMONKIT_HOME: home }) {
    const r = await run(
      'fish',
      [
        '--no-config',
        '-c',
        `source (${q(NODE)} -- ${q(CLI)} completion fish | psub); complete -C ${q(line)}`,
      ],
      { env, cwd: scratch },
    );
    assert.equal(r.stderr, '');
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);
  }
  const cases = [
    ['daemonkit st', ['start', 'status', 'stop']],
    ['daemonkit status --name ', ['db.1', 'web', 'worker']],
    ['daemonkit status --name=w', ['--name=web', '--name=worker']],
    ['daemonkit export ', ['systemd']],
    ['daemonkit completion ', ['bash', 'fish', 'zsh']],
    ['daemonkit start --restart ', ['always', 'no', 'on-failure']],
    [
      'daemonkit logs -',
      [
        '-f',
        '-n',
        '-p',
        '-q',
        '--file',
        '--follow',
        '--lines',
        '--name',
        '--no-color',
        '--pidfile',
        '--quiet',
      ],
    ],
    ['daemonkit top --', ['--interval', '--no-color', '--quiet']],
  ];
  for (const [line, want] of cases)
    test(line, async () => assert.deepEqual((await fish(line)).sort(), want.sort()));
  test('hostile directory names: only valid names are offered, nothing in a name is run', async () => {
    assert.deepEqual(
      (await fish('daemonkit status --name ', { DAEMONKIT_HOME: hostile })).sort(),
      validNames.sort(),
    );
    assert.deepEqual(created(), []);
  });
});
