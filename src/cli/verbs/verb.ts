/** What a command's function is given: its arguments, validated, and the service's paths. */
import type { ServicePaths } from '../../config/paths.js';
import type { ParsedArgs } from '../args.js';
import type { Validated } from '../validate.js';

export interface VerbCall {
  args: ParsedArgs;
  paths: ServicePaths;
  valid: Validated;
  /** -q: nothing said on success. */
  quiet: boolean;
}

/** A command on one service: its exit code; a DaemonError thrown is reported by the caller. */
export type Verb = (call: VerbCall) => Promise<number>;
