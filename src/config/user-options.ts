/** --user USER[:GROUP] and --group GROUP: their form, checked with the other start options
 *  (pure), each by its row of the option table; here, how the two go together. */
import { printable } from './paths.js';
import type { Problems, StartOptions, ValidStart } from './options.js';
import { invalid, optionRow } from './table/index.js';

/** --user USER[:GROUP] and --group GROUP: their form only (the user database is asked later). */
export function validateUser(opts: StartOptions, out: ValidStart, problems: Problems): void {
  if (opts.user === undefined) {
    if (opts.group !== undefined)
      problems.add(
        `--group ${printable(String(opts.group))} needs --user (the COMMAND would keep the caller's user)`,
      );
    return;
  }
  const userRow = optionRow('user');
  const user = userRow.kind.parse(opts.user);
  if (!user.ok) problems.add(invalid(userRow, opts.user, user.why));
  const colon = String(opts.user).includes(':');
  const twice = colon && opts.group !== undefined;
  const groupRow = optionRow('group');
  const group = opts.group === undefined || twice ? null : groupRow.kind.parse(opts.group);
  if (twice)
    problems.add(
      `--user '${printable(String(opts.user))}' names a group, and so does --group: give it once`,
    );
  else if (group && !group.ok) problems.add(invalid(groupRow, opts.group!, group.why));
  if (!user.ok || twice || (group && !group.ok)) return;
  const parsed = user.value as { user: string; group?: string };
  out.user = parsed.user;
  const g = parsed.group ?? (group?.ok ? (group.value as string) : undefined);
  if (g !== undefined) out.group = g;
}
