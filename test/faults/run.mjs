#!/usr/bin/env node
// `npm run test:faults`: run the fault and abuse suite (test/faults/*.test.mjs) with Node's test
// runner and its TAP reporter, show each case as it finishes, check that no process of the run
// is left behind, and end with one line: `N passed, M failed` (`, K skipped` when cases were
// skipped or are todo). Exits non-zero when anything failed.
//
// The run gets its own TMPDIR (every DAEMONKIT_HOME and scratch dir of the suite lives there)
// and an environment marker, DK_FAULTS_RUN, that every process it starts inherits: afterwards
// /proc is searched for live processes carrying the marker, by pid, never by name.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => join(here, f));
const only = process.argv.slice(2); // optional: names of test files (or parts of them) to run
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;

const runDir = mkdtempSync(join(tmpdir(), 'dk-faults-'));
chmodSync(runDir, 0o755); // cases acting as nobody must traverse it
const MARK = `DK_FAULTS_RUN=${runDir}`;

const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=tap', '--test-concurrency=1', '--test-timeout=240000', ...selected],
  {
    cwd: root,
    env: { ...process.env, TMPDIR: runDir, DK_FAULTS_RUN: runDir },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so a stuck run can be ended as one
  },
);

const LIMIT_MS = 15 * 60 * 1000;
const limit = setTimeout(() => {
  process.stdout.write(`test:faults: the run exceeded ${LIMIT_MS / 60000} minutes; ending it\n`);
  killGroup();
}, LIMIT_MS);
function killGroup() {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killGroup();
    process.exit(130);
  });

// ---- TAP parsing ----
const summary = {};
const seen = { pass: 0, fail: 0, todo: 0, skip: 0 };
const failures = [];
let buffer = '';
let yaml = null; // lines of the YAML block after a failed test point, while inside it
let lastFailed = null;
let afterPoint = false; // a YAML block may follow a test point
let lastTodo = null; // a todo case that fails: show the first line of its error

/** The first line of the `error:` field of a TAP YAML block. */
function firstErrorLine(lines) {
  const i = lines.findIndex((l) => /^\s*error: /.test(l));
  if (i < 0) return '';
  const value = lines[i].replace(/^\s*error: /, '');
  const text = /^[|>]-?$/.test(value) ? (lines[i + 1] ?? '').trim() : value.replace(/^'|'$/g, '');
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
const pending = []; // indentation stack of "# Subtest:" names, to tell suites from tests

function onLine(raw) {
  const indent = raw.length - raw.trimStart().length;
  const line = raw.trim();
  if (yaml) {
    if (line === '...') {
      if (lastFailed) lastFailed.details = yaml.join('\n');
      if (lastTodo) {
        const why = firstErrorLine(yaml);
        if (why) process.stdout.write(`${lastTodo.pad}      (${why})\n`);
      }
      yaml = null;
    } else yaml.push(raw);
    return;
  }
  if (line === '---' && afterPoint) {
    yaml = [];
    afterPoint = false;
    return;
  }
  afterPoint = false;
  const sub = /^# Subtest: (.*)$/.exec(line);
  if (sub) {
    for (const p of pending) {
      if (p.indent >= indent) continue;
      p.hasChildren = true;
      if (!p.printed) process.stdout.write(`${'  '.repeat(Math.floor(p.indent / 4))}${p.name}\n`);
      p.printed = true;
    }
    pending.push({ indent, name: sub[1], hasChildren: false, printed: false });
    return;
  }
  const point = /^(not ok|ok) \d+ - (.*?)(?: # (TODO|SKIP)\b ?(.*))?$/.exec(line);
  if (point) {
    const [, status, name, directive, reason] = point;
    while (pending.length && pending.at(-1).indent > indent) pending.pop();
    const me = pending.length && pending.at(-1).indent === indent ? pending.pop() : null;
    lastFailed = null;
    lastTodo = null;
    afterPoint = true;
    const isSuite = me?.hasChildren ?? false;
    const pad = '  '.repeat(Math.floor(indent / 4));
    if (isSuite) {
      if (status !== 'ok') process.stdout.write(`${pad}(suite failed) ${name}\n`);
      return;
    }
    let mark;
    if (directive === 'TODO') {
      seen.todo++;
      mark = `- todo (${status === 'ok' ? 'passes already' : 'fails as expected'}): ${reason}`;
      if (status !== 'ok') lastTodo = { pad };
    } else if (directive === 'SKIP') {
      seen.skip++;
      mark = `- skipped: ${reason}`;
    } else if (status === 'ok') {
      seen.pass++;
      mark = 'ok';
    } else {
      seen.fail++;
      mark = 'FAILED';
      lastFailed = { name, details: '' };
      failures.push(lastFailed);
    }
    process.stdout.write(
      `${pad}${mark === 'ok' ? '✔' : mark === 'FAILED' ? '✖' : '•'} ${name}${mark === 'ok' || mark === 'FAILED' ? '' : `  ${mark}`}\n`,
    );
    return;
  }
  const count = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(
    line,
  );
  if (count && indent === 0) {
    summary[count[1]] = Number(count[2]);
    return;
  }
  if (line.startsWith('# ') && indent > 0)
    process.stdout.write(`${'  '.repeat(Math.floor(indent / 4))}  ${line}\n`); // diagnostics
  else if (!/^(TAP version|1\.\.\d+$)/.test(line) && line !== '' && !line.startsWith('#'))
    process.stdout.write(`${raw}\n`); // anything odd
}

child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    onLine(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
  }
});

const exit = await new Promise((resolve) =>
  child.on('close', (code, signal) => resolve({ code, signal })),
);
if (buffer) onLine(buffer);
clearTimeout(limit);

// ---- leftovers: any live process of this run (marker in its environment), found by pid ----
function leftovers() {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(MARK)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z' || state === 'X') continue;
      out.push({
        pid: Number(entry),
        args: readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim(),
      });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
await new Promise((r) => setTimeout(r, 200));
const left = leftovers();
if (left.length > 0) {
  process.stdout.write(
    `✖ processes left behind by the suite (now killed):\n${left.map((p) => `    ${p.pid} ${p.args}`).join('\n')}\n`,
  );
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
try {
  rmSync(runDir, { recursive: true, force: true });
} catch (error) {
  process.stdout.write(
    `test:faults: could not remove ${relative(process.cwd(), runDir) || runDir}: ${error.message}\n`,
  );
}

if (failures.length > 0) {
  process.stdout.write('\nFailures:\n');
  for (const f of failures) process.stdout.write(`✖ ${f.name}\n${f.details}\n`);
}

// Prefer the runner's own totals; fall back to what was seen (a crashed runner prints none).
const have = 'pass' in summary && 'fail' in summary;
const passed = have ? summary.pass : seen.pass;
let failed = have ? summary.fail + (summary.cancelled ?? 0) : seen.fail;
const skipped = have ? (summary.skipped ?? 0) + (summary.todo ?? 0) : seen.skip + seen.todo;
if (left.length > 0) failed += 1; // the leftover check counts as one failed case
if (failed === 0 && (exit.code !== 0 || exit.signal)) failed = 1; // the runner itself failed
process.stdout.write(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
);
process.exitCode = failed > 0 ? 1 : 0;
