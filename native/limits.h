/*
 * The sizes the native side can take, in one place: spawn.c uses them, and
 * scripts/gen-limits.mjs turns every `#define DK_NAME value` line below into
 * src/sys/limits.ts, so the TypeScript boundary refuses what C could not take (exit 2, one line)
 * instead of a start failing half-way. The module exports them too (`limits`), and a test checks
 * the two agree. Plain decimal values only: the generator reads nothing else.
 */
#ifndef DAEMONKIT_LIMITS_H
#define DAEMONKIT_LIMITS_H

/* A path (the COMMAND's file, its --chdir) with its NUL: Linux's PATH_MAX. Longer ones cannot be
 * exec'd or entered anyway (ENAMETOOLONG). */
#define DK_PATH_MAX 4096
/* --limit values one spec carries (one per resource name). */
#define DK_MAX_LIMITS 8
/* fds placed at 0..n-1 in a child: stdin, stdout, stderr, up to --ready fd:63. */
#define DK_MAX_FDS 64
/* Supplementary groups (--user): the kernel's NGROUPS_MAX. */
#define DK_MAX_GROUPS 65536
/* One argument or environment entry with its NUL: the kernel's MAX_ARG_STRLEN (32 pages of
 * 4 KiB); a longer one fails execve with E2BIG. */
#define DK_MAX_ARG_STRLEN 131072

#endif
