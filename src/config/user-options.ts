/** --user USER[:GROUP] and --group GROUP: their form, checked with the other start options
 *  (pure). */
import { printable } from './paths.js';
import type { Problems, StartOptions, ValidStart } from './options.js';

const MAX_ID = 4294967294; // (uid_t)-1 means "no change" to the kernel

/** A user or group as given: a name (no ':', blanks or control characters) or a numeric id. */
function checkId(text: string): string | null {
  if (text === '') return 'it is empty';
  if (/^[0-9]+$/.test(text)) return Number(text) <= MAX_ID ? null : `ids go up to ${MAX_ID}`;
  if (text.length > 256 || text.startsWith('-') || /[:\s\p{Cc}]/u.test(text))
    return 'use a name or a numeric id';
  return null;
}

/** --user USER[:GROUP] and --group GROUP: their form only (the user database is asked later). */
export function validateUser(opts: StartOptions, out: ValidStart, problems: Problems): void {
  if (opts.user === undefined) {
    if (opts.group !== undefined)
      problems.add(
        `--group ${printable(String(opts.group))} needs --user (the COMMAND would keep the caller's user)`,
      );
    return;
  }
  const given = String(opts.user);
  const colon = given.indexOf(':');
  const user = colon < 0 ? given : given.slice(0, colon);
  const group =
    colon < 0
      ? opts.group === undefined
        ? undefined
        : String(opts.group)
      : given.slice(colon + 1);
  const userWhy = checkId(user);
  const groupWhy = group === undefined ? null : checkId(group);
  if (userWhy)
    problems.add(
      `invalid --user '${printable(given)}': ${colon < 0 ? userWhy : `the user part: ${userWhy}`}`,
    );
  const twice = colon >= 0 && opts.group !== undefined;
  if (twice)
    problems.add(`--user '${printable(given)}' names a group, and so does --group: give it once`);
  else if (groupWhy)
    problems.add(
      colon < 0
        ? `invalid --group '${printable(group!)}': ${groupWhy}`
        : `invalid --user '${printable(given)}': the group part: ${groupWhy}`,
    );
  if (userWhy || groupWhy || twice) return;
  out.user = user;
  if (group !== undefined) out.group = group;
}
