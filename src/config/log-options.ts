/** --log-timestamps, --log-max-size, --log-keep, --log-compress: validated with the other start
 *  options, each value by its row of the option table. */
import type { Problems, StartOptions } from './options.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from './log-policy.js';
import { checkOption } from './table/index.js';

export function validateLogs(opts: StartOptions, problems: Problems): LogPolicy {
  const logs: LogPolicy = {
    ...DEFAULT_LOG_POLICY,
    timestamps: opts.logTimestamps === true,
    compress: opts.logCompress === true,
  };
  if (opts.logMaxSize !== undefined)
    logs.maxSize = checkOption<number>('log-max-size', opts.logMaxSize, problems) ?? logs.maxSize;
  if (opts.logKeep !== undefined)
    logs.keep = checkOption<number>('log-keep', opts.logKeep, problems) ?? logs.keep;
  if (logs.maxSize === null && opts.logKeep !== undefined)
    problems.add('--log-keep needs --log-max-size (rotation by size)');
  if (logs.maxSize === null && logs.compress)
    problems.add('--log-compress needs --log-max-size (it compresses rotated files)');
  return logs;
}
