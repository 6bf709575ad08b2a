/**
 * Where a service's files live. A service is identified by --name (files under
 * $DAEMONKIT_HOME/NAME/) or, with --pidfile alone, by its pidfile path (like start-stop-daemon).
 */
import { homedir } from 'node:os';
import { basename, isAbsolute, join, normalize, resolve } from 'node:path';

export interface ServicePaths {
  /** What users see: the name, or the pidfile path for pidfile-identified services. */
  display: string;
  name?: string;
  dir: string; // state directory: state.json, logs, stop requests
  pidfile: string;
  lockfile: string; // pidfile + '.lock': the kernel lock that means "running"
  statefile: string;
  specfile: string; // how it was started (0600: --env values may be secrets)
  logfile: string;
  stopRequest: string;
  restartLock: string; // held by a `restart` from its stop to its start: restarts take turns
  /** Left by `daemonkit reopen` before its SIGUSR1: in the foreground, SIGUSR1 is otherwise the
   *  COMMAND's. */
  reopenRequest: string;
  /** `restart --rolling`'s request: the new spec, for the running supervisor to start. */
  rollRequest: string;
}

/**
 * The name rule, as a pattern that means the same in JavaScript, POSIX ERE (bash/zsh `=~`) and
 * PCRE (fish `string match -r`): the completion scripts are generated from it.
 */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$';
const NAME = new RegExp(NAME_PATTERN);

/** null when valid, else why not. */
export function checkName(name: string): string | null {
  if (NAME.test(name)) return null;
  return `invalid --name '${printable(name)}': use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit`;
}

/** A value made safe to print on one line. */
export function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(shown).slice(1, -1);
}

/** $DAEMONKIT_HOME, else /run/daemonkit for root, else $XDG_RUNTIME_DIR/daemonkit, else
 *  ~/.local/state/daemonkit. */
export function daemonkitHome(
  env: NodeJS.ProcessEnv = process.env,
  uid = process.getuid?.() ?? 0,
): string {
  if (env.DAEMONKIT_HOME) return env.DAEMONKIT_HOME;
  if (uid === 0) return '/run/daemonkit';
  if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR))
    return join(env.XDG_RUNTIME_DIR, 'daemonkit');
  return join(homedir(), '.local', 'state', 'daemonkit');
}

/** 64-bit FNV-1a as 16 hex digits: a stable directory name for a pidfile path (node:crypto
 * would cost every command a few ms of start-up for this one hash). */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text))
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** The last home normalized: `list` of 200 services joined it 200 times (~10 µs each, cold). */
let homeJoined: { home: string; normal: string } | null = null;

/** join(home, name), for a name that is one plain entry (no '/', not '.' or '..') without
 *  normalizing the home again. */
function inHome(home: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return join(home, name);
  if (homeJoined?.home !== home) homeJoined = { home, normal: normalize(home) };
  const base = homeJoined.normal;
  if (!base.startsWith('/')) return join(home, name); // a relative home: as join has it
  return base.endsWith('/') ? `${base}${name}` : `${base}/${name}`;
}

export function servicePaths(
  id: { name?: string; pidfile?: string },
  home: string = daemonkitHome(),
  cwd: string = process.cwd(),
): ServicePaths {
  const pidfile = id.pidfile === undefined ? undefined : resolve(cwd, id.pidfile);
  let dir: string;
  let display: string;
  let logName: string;
  if (id.name !== undefined) {
    dir = inHome(home, id.name);
    display = id.name;
    logName = id.name;
  } else if (pidfile !== undefined) {
    const hash = fnv1a64(pidfile);
    dir = join(home, '.pidfile', hash);
    display = pidfile;
    logName = basename(pidfile).replace(/\.pid$/, '') || 'daemon';
  } else {
    throw new Error('a service needs --name or --pidfile');
  }
  // `dir` is a join's (normalized, a name after its last '/'): a file in it is `${dir}/FILE`, as
  // join would make it, without its cost (~2 µs each: `list` of 200 services made 2,000).
  const pid = pidfile ?? `${dir}/pid`;
  return {
    display,
    ...(id.name !== undefined ? { name: id.name } : {}),
    dir,
    pidfile: pid,
    lockfile: `${pid}.lock`,
    statefile: `${dir}/state.json`,
    specfile: `${dir}/spec.json`,
    logfile: `${dir}/${logName}.log`,
    stopRequest: `${dir}/stop.json`,
    reopenRequest: `${dir}/reopen.json`,
    rollRequest: `${dir}/roll.json`,
    restartLock: `${dir}/restart.lock`,
  };
}
