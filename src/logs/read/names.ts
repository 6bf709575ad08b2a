/**
 * How `logs` reaches a log's files (chain.ts, walk.ts, last.ts, follow.ts). In a directory only
 * we can write, by path as before: a symbolic link there is the administrator's, and followed.
 * In one another user can write (the service user's LogsDirectory=), that user chooses what its
 * names hold, and root's `logs` must not print what they point at, nor read terabytes of a sparse
 * file: the files are opened through the directory's fd (log-dir.ts) with O_NOFOLLOW|O_NONBLOCK,
 * names are looked at without following links, and a file is read only if the writer's rule
 * allows it (a regular file, one link, owned by root, us, the service user or the directory's
 * owner) and it has no hole (the supervisor only appends: a hole is never its). Anything else is
 * skipped — named once on stderr — and read as empty; indices past the largest --log-keep are
 * not looked at, and the names are listed in C (log-dir.ts), whatever else the directory holds.
 * How one file is opened, either way, is open-source.ts's.
 */
import { fstatSync, lstatSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { InsecureLogDir } from '../../files/ancestors.js';
import { LogDir } from '../../files/log-dir.js';
import { seekData } from '../../sys/native.js';
import { HOLES, openByPath, openShared, type Source } from './open-source.js';

export type { Source } from './open-source.js';

/** What a look at a name gives. */
export interface Look {
  ino: bigint;
  mtime: bigint;
}

/** --log-keep is at most 9999 (NAME.log.10000 exists for a moment during a rotation). */
const MAX_INDEX = 10_000;

export interface LogNamesOptions {
  /** Where a skipped file is named (once each). */
  warn?: (message: string) => void;
  /** The service user (--user): its files are read in its directory, as the supervisor writes
   *  them. */
  serviceUid?: number;
}

export class LogNames {
  /** The directory was another user's when last opened: names are looked at without following. */
  private shared = false;
  private readonly said = new Set<string>();

  constructor(
    readonly path: string,
    private readonly options: LogNamesOptions = {},
  ) {
    try {
      this.withDir((dir) => void (this.shared = dir.sharedBy() !== null));
    } catch {
      // no directory yet, or one we may not use: the first open says why
    }
  }

  /** Read through the directory's fd, as a directory another user can write (when last opened). */
  get guarded(): boolean {
    return this.shared;
  }

  /** The highest index to look at: past it, names in a shared directory are not ours. */
  get maxIndex(): number {
    return this.shared ? MAX_INDEX : Infinity;
  }

  /** Inode and last write of `path` (one of the log's names), or null when there is none. */
  look(path: string): Look | null {
    try {
      const st = (this.shared ? lstatSync : statSync)(path, { bigint: true });
      return { ino: st.ino, mtime: st.mtimeNs };
    } catch {
      return null;
    }
  }

  /** The highest K of the NAME.log.K and NAME.log.K.gz there are now (0: none). */
  highestIndex(): number {
    try {
      return this.withDir((dir) => {
        this.shared = dir.sharedBy() !== null;
        const found = dir.rotated(basename(this.path), false);
        if (typeof found === 'string') throw new Error(`cannot read ${this.path}: ${found}`);
        return found.reduce(
          (max, [index]) => (index <= this.maxIndex ? Math.max(max, index) : max),
          0,
        );
      });
    } catch (error) {
      if ((error as Error).message.startsWith('cannot read ')) throw error;
      return 0; // no directory (yet): no files
    }
  }

  /** Open `path` (one of the log's names) if it still holds inode `ino`; null if not (moved on
   *  meanwhile). Throws when it cannot be read (EACCES, a directory, a directory above not
      ours). */
  open(path: string, ino: bigint, gz: boolean): Source | null {
    let result: Source | null = null;
    try {
      this.withDir((dir) => {
        const shared = dir.sharedBy();
        this.shared = shared !== null;
        result =
          shared === null
            ? openByPath(path, ino, gz)
            : openShared(dir, shared, path, ino, gz, (p, why, by) => this.skip(p, why, by));
      });
    } catch (error) {
      if (error instanceof InsecureLogDir) throw new Error(`cannot read ${path}: ${error.message}`);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      // A directory we may search but not list (not root): our own permissions are the bound.
      if (code === 'EACCES' && (error as NodeJS.ErrnoException).syscall === 'open')
        return openByPath(path, ino, gz);
      throw error;
    }
    return result;
  }

  /** The inode `path` holds now (as `look` sees it), or null. */
  inode(): bigint | null {
    return this.look(this.path)?.ino ?? null;
  }

  /** For a source of a shared directory: the end to read to now, or null when a hole has come
   *  into it (then it is skipped from here on, and said). */
  readableEnd(src: Source): number | null {
    if (src.skipped) return null;
    const size = fstatSync(src.fd).size;
    if (!this.shared || src.gz || size <= src.pos) return size;
    if (seekData(src.fd, src.pos, true) >= size) return size;
    this.skip(src.path, HOLES, '');
    src.skipped = true;
    return null;
  }

  private withDir<T>(fn: (dir: LogDir) => T): T {
    const dir = LogDir.open(
      dirname(this.path),
      this.options.serviceUid !== undefined ? { serviceUid: this.options.serviceUid } : {},
    );
    try {
      return fn(dir);
    } finally {
      dir.release();
    }
  }

  private skip(path: string, why: string, shared: string): void {
    const message = `skipped ${path}: ${why}${shared ? `, in a directory ${shared}` : ''}`;
    if (this.said.has(message)) return;
    this.said.add(message);
    this.options.warn?.(message);
  }
}
