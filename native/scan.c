/*
 * procScan([groups]): every process's /proc/PID/stat, read and taken apart here (a report's scan of
 * /proc, `list`'s look at each COMMAND's process group): node made ~500 strings of ~300 bytes
 * and the objects around them, which the young generation then copied (docs/decisions.md, "`list`
 * of 200, third pass"). With many, half go to a second thread, as readBatch's do.
 * Returns a Float64Array of SCAN_ROW numbers per numeric entry of /proc, by increasing pid: pid,
 * state (the character's code; 0: unreadable, gone; -1: over 64 KiB, to be read on its own),
 * ppid, pgrp, session, tty_nr, starttime, rss, utime + stime, cutime + cstime, flags — each field as
 * JavaScript's Number() reads its text (NaN where the line has no such field).
 * With `groups` (a Float64Array of process group ids), only the lines of processes in those
 * groups are read (getpgid(2) asked first: a syscall instead of a file); the others' rows say
 * state -2, not read.
 */
#include "common.h"
#include <dirent.h>
#include <math.h>

#define SCAN_ROW 11
#define SCAN_MAX_TEXT (64 * 1024)

typedef struct {
  int dir;
  const long *groups; /* sorted; NULL: every process */
  size_t ngroups;
  const unsigned long *pids;
  double *rows;
  size_t from, to, step; /* two threads take every other pid: a project's COMMANDs have pids close together */
  char *buf;
  bool own_thread;
} scan_span_t;

/* A field's text as Number() reads it: "" is 0, anything but a plain decimal NaN. */
static double field_number(const char *s, size_t len) {
  if (len == 0) return 0;
  char tmp[32];
  if (len >= sizeof tmp) return NAN;
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  size_t i = tmp[0] == '-' || tmp[0] == '+' ? 1 : 0;
  if (i == len) return NAN;
  for (size_t j = i; j < len; j++) if (tmp[j] < '0' || tmp[j] > '9') return NAN;
  return strtod(tmp, NULL); /* correctly rounded, as Number() is */
}

/* A stat line taken apart as proc.ts did: the fields after the comm's last ')', split on ' '. */
static void parse_stat(const char *text, size_t len, double *row) {
  const char *close = NULL;
  for (size_t i = len; i > 0; i--) if (text[i - 1] == ')') { close = text + i - 1; break; }
  double f[22];
  for (int k = 0; k < 22; k++) f[k] = NAN;
  const char *p = close ? close + 2 : text; /* no ')': not a stat line the kernel writes */
  const char *end = text + len;
  int state = p < end && *p != ' ' ? (unsigned char)*p : '?';
  for (int k = 0; k < 22 && p <= end; k++) {
    const char *q = memchr(p, ' ', (size_t)(end - p));
    size_t flen = (size_t)((q ? q : end) - p);
    if (k > 0) f[k] = field_number(p, flen > 0 && !q && p[flen - 1] == '\n' ? flen - 1 : flen);
    if (!q) break;
    p = q + 1;
  }
  row[1] = state;
  row[2] = f[1]; row[3] = f[2]; row[4] = f[3]; row[5] = f[4];
  row[6] = f[19]; row[7] = f[21];
  row[8] = f[11] + f[12]; row[9] = f[13] + f[14];
  row[10] = f[6]; /* PF_FORKNOEXEC: forked, not exec'd yet (state-record.ts' one write per start) */
}

static void scan_one(int dir, unsigned long pid, double *row, char *buf) {
  char path[32];
  snprintf(path, sizeof path, "%lu/stat", pid);
  row[0] = (double)pid;
  row[1] = 0;
  int fd = openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return;
  size_t len = 0;
  bool failed = false;
  for (;;) {
    size_t want = SCAN_MAX_TEXT + 1 - len;
    ssize_t n = read(fd, buf + len, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { failed = true; break; }
    if (n == 0) break;
    len += (size_t)n;
    if (len > SCAN_MAX_TEXT) { row[1] = -1; close(fd); return; }
    if ((size_t)n < want) break; /* the kernel writes a stat line whole into a read this large */
  }
  close(fd);
  if (!failed) parse_stat(buf, len, row);
}

static int by_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

/* In one of the groups asked about? Gone (ESRCH), or in none: its line is not read. Where the
 * question is refused (an LSM may deny getpgid, not the stat line), the line decides. */
static bool wanted(const scan_span_t *s, unsigned long pid) {
  if (!s->groups) return true;
  long group = (long)getpgid((pid_t)pid);
  if (group < 0) return errno != ESRCH;
  return bsearch(&group, s->groups, s->ngroups, sizeof group, by_long) != NULL;
}

static void *scan_span(void *arg) {
  scan_span_t *s = arg;
  if (s->own_thread) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are node's threads' */
  }
  for (size_t i = s->from; i < s->to; i += s->step) {
    double *row = s->rows + i * SCAN_ROW;
    if (wanted(s, s->pids[i])) scan_one(s->dir, s->pids[i], row, s->buf);
    else { row[0] = (double)s->pids[i]; row[1] = -2; }
  }
  return NULL;
}

static int by_pid(const void *a, const void *b) {
  unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
  return x < y ? -1 : x > y;
}

/* The groups asked about, sorted; *ok false (an exception pending) when `v` is not a
 * Float64Array. NULL with *ok true: none given. */
static long *scan_groups(napi_env env, size_t argc, napi_value v, size_t *count, bool *ok) {
  napi_valuetype type;
  *ok = true;
  *count = 0;
  if (argc < 1 || napi_typeof(env, v, &type) != napi_ok || type == napi_undefined) return NULL;
  bool typed = false;
  napi_typedarray_type kind;
  size_t length;
  void *data;
  if (napi_is_typedarray(env, v, &typed) != napi_ok || !typed
      || napi_get_typedarray_info(env, v, &kind, &length, &data, NULL, NULL) != napi_ok || kind != napi_float64_array) {
    *ok = false;
    napi_throw_type_error(env, NULL, "procScan([groups: Float64Array])");
    return NULL;
  }
  long *groups = malloc((length ? length : 1) * sizeof *groups);
  if (!groups) { *ok = false; throw_errno(env, ENOMEM, "malloc"); return NULL; }
  for (size_t i = 0; i < length; i++) {
    double g = ((double *)data)[i];
    groups[i] = g >= 1 && g <= 0x7fffffff && g == (double)(long)g ? (long)g : -1; /* -1: no group */
  }
  qsort(groups, length, sizeof *groups, by_long);
  *count = length;
  return groups;
}

/* The numeric entries of /proc, sorted; NULL (errno set) on failure. */
static unsigned long *proc_pids(DIR *d, size_t *count) {
  size_t cap = 1024, n = 0;
  unsigned long *pids = malloc(cap * sizeof *pids);
  if (!pids) return NULL;
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    const char *name = e->d_name;
    if (name[0] < '1' || name[0] > '9') continue;
    char *rest;
    unsigned long pid = strtoul(name, &rest, 10);
    if (*rest != '\0') continue;
    if (n == cap) {
      unsigned long *more = realloc(pids, (cap *= 2) * sizeof *pids);
      if (!more) { free(pids); errno = ENOMEM; return NULL; }
      pids = more;
    }
    pids[n++] = pid;
  }
  if (errno != 0) { int err = errno; free(pids); errno = err; return NULL; }
  qsort(pids, n, sizeof *pids, by_pid);
  *count = n;
  return pids;
}

napi_value proc_scan(napi_env env, napi_callback_info info) {
  size_t argc = 1, ngroups;
  napi_value argv[1];
  bool ok;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  long *groups = scan_groups(env, argc, argv[0], &ngroups, &ok);
  if (!ok) return NULL;
  DIR *d = opendir("/proc");
  if (!d) { free(groups); return throw_errno(env, errno, "opendir /proc"); }
  size_t count = 0;
  unsigned long *pids = proc_pids(d, &count);
  if (!pids) { int err = errno; closedir(d); free(groups); return throw_errno(env, err, "readdir /proc"); }
  napi_value buffer, rows, result = NULL;
  void *data;
  CHECK_OR(napi_create_arraybuffer(env, (count ? count : 1) * SCAN_ROW * sizeof(double), &data, &buffer), done);
  CHECK_OR(napi_create_typedarray(env, napi_float64_array, count * SCAN_ROW, buffer, 0, &rows), done);
  scan_span_t spans[2] = {
    { dirfd(d), groups, ngroups, pids, data, 0, count, 1, malloc(SCAN_MAX_TEXT + 1), false },
    { dirfd(d), groups, ngroups, pids, data, 1, count, 2, NULL, true },
  };
  if (!spans[0].buf) { throw_errno(env, ENOMEM, "malloc"); goto done; }
  pthread_t second;
  bool two = false;
  if (count >= 64 && (spans[1].buf = malloc(SCAN_MAX_TEXT + 1)) != NULL) {
    spans[0].step = 2;
    two = pthread_create(&second, NULL, scan_span, &spans[1]) == 0;
    if (!two) spans[0].step = 1; /* no thread: all on this one */
  }
  scan_span(&spans[0]);
  if (two) pthread_join(second, NULL);
  free(spans[0].buf);
  free(spans[1].buf);
  result = rows;
done:
  free(pids);
  free(groups);
  closedir(d);
  return result;
}
