// The service user the privilege tests act as (.ci/run creates it): its ids, and why a test that
// needs it is skipped.
import { execFileSync } from 'node:child_process';

export const USER = 'daemonkit-test';

/** USER's uid and gid, or null when there is no such user. */
export function lookupUser() {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', USER], { encoding: 'utf8' })
      .trim()
      .split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/** USER's ids (u) and why a test acting as USER is skipped (skip; false when it can run). `needs`
 *  are the reasons checked first, in order: a string when unmet, false when met. USER is looked up
 *  only when they are all met. */
export function userOrSkip(...needs) {
  const unmet = needs.find(Boolean);
  const u = unmet ? null : lookupUser();
  const skip =
    unmet || (u ? false : `needs the user ${USER}: run .ci/run, or create it as it does`);
  return { u, skip };
}
