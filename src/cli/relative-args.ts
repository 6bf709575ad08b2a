/**
 * The COMMAND's arguments that name a file here but not where it will run: `node server.js`
 * typed in a project directory, started without --chdir, runs in / (daemon(7)) and fails there.
 * Used for a hint after such a start fails and for a warning on `export systemd`.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { printable } from '../config/paths.js';

/** The arguments (not the COMMAND itself, which is resolved already) that are relative paths
 *  existing from `cwd` but not from `chdir`. */
export function strandedArgs(command: readonly string[], cwd: string, chdir: string): string[] {
  if (resolve(cwd) === resolve(chdir)) return [];
  return command
    .slice(1)
    .filter(
      (arg) =>
        arg !== '' &&
        !arg.startsWith('-') &&
        !isAbsolute(arg) &&
        existsSync(resolve(cwd, arg)) &&
        !existsSync(resolve(chdir, arg)),
    );
}

/** `'server.js'`, `'a.js', 'b.js'`: as a message names them. */
export const quoted = (args: readonly string[]): string =>
  args.map((a) => `'${printable(a)}'`).join(', ');

/** Shell-quoted, for a command line to copy: --chdir '/home/me/my app'. */
export const shellWord = (text: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
