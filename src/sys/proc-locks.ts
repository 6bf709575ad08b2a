/**
 * /proc/locks, which answers everyone (a user who may not open a 0600 lock file can still ask
 * whether it is locked), and the dev_t encoding its lines and fdinfo's lock lines use: the major
 * and minor numbers in hex, as glibc splits what stat gives.
 */
import { readFileSync } from 'node:fs';

/** devParts, as numbers where dev is under 2^53 (every device number in practice). */
export function devNumbers(dev: bigint): [number, number] {
  if (dev < 0n || dev > MAX_EXACT) return devParts(dev).map(Number) as [number, number];
  const n = Number(dev);
  const lo = n % 0x100000000;
  const hi = (n - lo) / 0x100000000; // under 2^21
  const above12 = Math.floor(n / 0x1000); // dev >> 12, under 2^41
  return [((lo >>> 8) & 0xfff) + (hi - (hi % 0x1000)), (lo & 0xff) + (above12 - (above12 % 0x100))];
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The major and minor numbers in a dev_t as glibc encodes it (what stat gives). */
function devParts(dev: bigint): [bigint, bigint] {
  return [
    ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn),
    (dev & 0xffn) | ((dev >> 12n) & ~0xffn),
  ];
}

/**
 * Is some lock held on the file with this device and inode? /proc/locks answers everyone (it
 * lists OFD locks as "OFDLCK ADVISORY WRITE -1 MAJ:MIN:INODE 0 EOF", the numbers in hex, the
 * inode in decimal), so a user who may not open a lock file (0600) can still ask. Waiters
 * ("->" lines) hold nothing. Only locks of processes in our pid namespace are listed.
 */
export function lockListed(dev: bigint, ino: bigint): boolean {
  const [major, minor] = devParts(dev);
  for (const line of readFileSync('/proc/locks', 'latin1').split('\n')) {
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (
      m &&
      m[1] !== '->' &&
      BigInt(`0x${m[2]}`) === major &&
      BigInt(`0x${m[3]}`) === minor &&
      BigInt(m[4]!) === ino
    )
      return true;
  }
  return false;
}
