/** How a service's output is kept: validated once with the other start options. */
export interface LogPolicy {
  /** Prefix every line with an ISO-8601 UTC timestamp. */
  timestamps: boolean;
  /** Rotate when the file reaches this many bytes (null: never). */
  maxSize: number | null;
  /** How many rotated files to keep (NAME.log.1 … NAME.log.N). */
  keep: number;
  /** gzip rotated files in the background. */
  compress: boolean;
}

export const DEFAULT_LOG_POLICY: LogPolicy = {
  timestamps: false,
  maxSize: null,
  keep: 5,
  compress: false,
};

/** Anything beyond plain lines into a file that grows: what a spec must carry, and what only a
 *  supervisor (which owns the files) can do. */
export function transformsLogs(policy: LogPolicy): boolean {
  return policy.timestamps || policy.maxSize !== null;
}
