/** --log-timestamps, --log-max-size, --log-keep, --log-compress: validated with the other start
 *  options. */
import { printable } from './paths.js';
import type { Problems, StartOptions } from './options.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from './log-policy.js';
import { MIN_LOG_SIZE, parseSize } from './size.js';

export function validateLogs(opts: StartOptions, problems: Problems): LogPolicy {
  const logs: LogPolicy = {
    ...DEFAULT_LOG_POLICY,
    timestamps: opts.logTimestamps === true,
    compress: opts.logCompress === true,
  };
  if (opts.logMaxSize !== undefined) {
    const size = parseSize(String(opts.logMaxSize));
    if (size === null)
      problems.add(
        `invalid --log-max-size '${printable(String(opts.logMaxSize))}': a size such as 10M, 256K or 1G (a bare number is bytes)`,
      );
    else if (size < MIN_LOG_SIZE)
      problems.add(`invalid --log-max-size '${printable(String(opts.logMaxSize))}': at least 4K`);
    else logs.maxSize = size;
  }
  if (opts.logKeep !== undefined) {
    const text = String(opts.logKeep);
    if (/^[0-9]{1,4}$/.test(text)) logs.keep = Number(text);
    else
      problems.add(
        `invalid --log-keep '${printable(text)}': a whole number of rotated files, 0 to 9999`,
      );
  }
  if (logs.maxSize === null && opts.logKeep !== undefined)
    problems.add('--log-keep needs --log-max-size (rotation by size)');
  if (logs.maxSize === null && logs.compress)
    problems.add('--log-compress needs --log-max-size (it compresses rotated files)');
  return logs;
}
