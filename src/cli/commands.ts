/** The CLI's commands: validate, call the command's function (cli/verbs/), return the exit code. */
import { existsSync } from 'node:fs';
import { EXIT, type Action } from '../errors/exit-codes.js';
import { noSuchService } from '../service/known.js';
import { Problems } from '../config/options.js';
import { servicePaths } from '../config/paths.js';
import type { ParsedArgs } from './args.js';
import { report } from './report.js';
import { commandProblems, commandSpecProblems, validateArgs } from './validate.js';
import { OTHER_VERBS, SERVICE_VERBS, sayProblems } from './verbs/index.js';
import { noSuch } from './verbs/status.js';

export { validateArgs } from './validate.js';

/** Commands that say so, with the exit code for "nothing there", for a mistyped name. */
const SAY_MISSING = ['stop', 'status', 'logs'] as const;
const saysMissing = (command: string): command is (typeof SAY_MISSING)[number] =>
  (SAY_MISSING as readonly string[]).includes(command);

export async function runCommand(
  args: ParsedArgs,
  parseProblems: readonly string[] = [],
): Promise<number> {
  const problems = new Problems();
  for (const p of parseProblems) problems.add(p); // reported together with the options' own
  const f = args.flags;
  // `run -f FILE` (no COMMAND, no --name): the project in the foreground, as `up --foreground`.
  const runFile = args.command === 'run' && f.file && !f.name && !f.pidfile && args.rest === null;
  if (args.command === 'up' || args.command === 'down' || runFile)
    return (await import('./project.js')).projectCommand(args, problems.list);
  if (f.file && args.command === 'status' && !f.name && !f.pidfile && problems.list.length === 0)
    return (await import('./project.js')).projectStatus(args);
  if (args.command === 'export' && f.file) {
    const { exportProject } = await import('./export-project.js');
    try {
      return await exportProject(args, problems.list);
    } catch (error) {
      return report('export', error);
    }
  }
  // `logs web worker`, `logs --file FILE`: several services, interleaved (cli/logs-many.ts).
  if (args.command === 'logs' && (f.service || (f.file && !f.name && !f.pidfile)))
    return (await import('./logs-many.js')).manyLogsCommand(args, problems.list);
  // A service of a services file by its name there (`status web` → shop.web): with -f FILE, or
  // inside its directory (docs/cli.md#short-names).
  if (f.name && (f.file || !f.name[0]!.includes('.')) && (f.file || existsSync('daemonkit.toml')))
    f.name = [(await import('./project.js')).fileName(f.name[0]!, f.file?.[0])];
  const other = OTHER_VERBS[args.command];
  if (other) return other(args, problems);
  const valid = validateArgs(args, problems);
  commandProblems(args, problems);
  if (problems.list.length > 0) {
    await commandSpecProblems(args, valid, problems);
    sayProblems(problems);
    return EXIT.BAD_ARGS;
  }
  const paths = servicePaths(valid.identity);
  const action = args.command as Action; // list, top and completion went above
  const quiet = Boolean(args.flags.quiet);
  try {
    const missing = saysMissing(action) ? noSuchService(paths) : null;
    if (missing && saysMissing(action))
      return await noSuch(paths, action, missing, Boolean(args.flags.json), quiet);
    return await SERVICE_VERBS[action]!({ args, paths, valid, quiet });
  } catch (error) {
    return report(action, error, paths);
  }
}
