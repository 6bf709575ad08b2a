/* Shared by daemonkit's native files: includes and small N-API helpers. */
#ifndef DAEMONKIT_COMMON_H
#define DAEMONKIT_COMMON_H
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include "limits.h"

/* Every N-API call's status is checked: a failed one ends the call with an exception (the pending
 * one, else one naming the call), never with a result built from an unset napi_value. */
static inline napi_value napi_failed(napi_env env, const char *call) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) napi_throw_error(env, "ENAPI", call);
  return NULL;
}
#define CHECK(call) do { if ((call) != napi_ok) return napi_failed(env, #call); } while (0)
/* The same where something must be released first: `goto label` with `failed` set. */
#define CHECK_OR(call, label) do { if ((call) != napi_ok) { napi_failed(env, #call); goto label; } } while (0)
/* Set obj[key] to an int32 / uint32 / double / string; false (an exception pending) on failure. */
static inline bool set_int(napi_env env, napi_value obj, const char *key, int32_t value) {
  napi_value v; return napi_create_int32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}
static inline bool set_uint(napi_env env, napi_value obj, const char *key, uint32_t value) {
  napi_value v; return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}
static inline bool set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v; return napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v) == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* An Error like Node's system errors: message "syscall: strerror", code "ENOENT", errno, syscall. */
static inline napi_value errno_error(napi_env env, int err, const char *syscall) {
  napi_value msg, code, error = NULL;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  const char *name = "EUNKNOWN";
  switch (err) {
    case ENOENT: name = "ENOENT"; break; case EACCES: name = "EACCES"; break;
    case EPERM: name = "EPERM"; break; case ESRCH: name = "ESRCH"; break;
    case ENOEXEC: name = "ENOEXEC"; break; case ENOTDIR: name = "ENOTDIR"; break;
    case EAGAIN: name = "EAGAIN"; break; case EBADF: name = "EBADF"; break;
    case EINVAL: name = "EINVAL"; break; case ENOSYS: name = "ENOSYS"; break;
    case EMFILE: name = "EMFILE"; break; case ENOMEM: name = "ENOMEM"; break;
    case ECONNREFUSED: name = "ECONNREFUSED"; break; case ENAMETOOLONG: name = "ENAMETOOLONG"; break;
    case EADDRINUSE: name = "EADDRINUSE"; break; case EISDIR: name = "EISDIR"; break;
    case ENOSPC: name = "ENOSPC"; break; case EROFS: name = "EROFS"; break;
    case EEXIST: name = "EEXIST"; break; case ENOTEMPTY: name = "ENOTEMPTY"; break;
    case EXDEV: name = "EXDEV"; break; case ELOOP: name = "ELOOP"; break;
    case ENXIO: name = "ENXIO"; break; case EDQUOT: name = "EDQUOT"; break;
    case EIO: name = "EIO"; break; case EBUSY: name = "EBUSY"; break;
  }
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok || napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok
      || napi_create_error(env, code, msg, &error) != napi_ok || !set_int(env, error, "errno", err) || !set_string(env, error, "syscall", syscall))
    return NULL;
  return error;
}

/* Throw errno_error (or, should building it fail, the N-API failure). Returns NULL. */
static inline napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value error = errno_error(env, err, syscall);
  if (!error || napi_throw(env, error) != napi_ok) return napi_failed(env, syscall);
  return NULL;
}

/* Settle a promise from an async work's completion, where nothing can be thrown: resolve with
 * `value`, or reject with it when `reject`; a NULL value (making it failed) rejects with the
 * pending exception, cleared, so it is not left for the event loop. */
static inline void settle(napi_env env, napi_deferred deferred, bool reject, napi_value value) {
  if (!value) {
    if (napi_get_and_clear_last_exception(env, &value) != napi_ok) return;
    reject = true;
  }
  (void)(reject ? napi_reject_deferred(env, deferred, value) : napi_resolve_deferred(env, deferred, value)); /* fails only for a bad deferred */
}

/* A TypeError / RangeError naming the call and what it takes: "pidfdWait(fds, timeoutMs)". Returns NULL. */
static inline napi_value throw_type(napi_env env, const char *usage) { napi_throw_type_error(env, NULL, usage); return NULL; }
static inline napi_value throw_range(napi_env env, const char *usage) { napi_throw_range_error(env, NULL, usage); return NULL; }

/* Return a boolean / int32 / double / null, or NULL with an exception. */
static inline napi_value js_bool(napi_env env, bool b) { napi_value v; return napi_get_boolean(env, b, &v) == napi_ok ? v : napi_failed(env, "napi_get_boolean"); }
static inline napi_value js_int(napi_env env, int32_t n) { napi_value v; return napi_create_int32(env, n, &v) == napi_ok ? v : napi_failed(env, "napi_create_int32"); }
static inline napi_value js_double(napi_env env, double n) { napi_value v; return napi_create_double(env, n, &v) == napi_ok ? v : napi_failed(env, "napi_create_double"); }
static inline napi_value js_null(napi_env env) { napi_value v; return napi_get_null(env, &v) == napi_ok ? v : napi_failed(env, "napi_get_null"); }

/*
 * A string argument copied into buf (size bytes): 0, or EINVAL when it is not a string or holds a
 * NUL byte (C would take it for the end: another name), or ENAMETOOLONG when it does not fit with
 * its NUL. Refused, never cut short; the callers throw ENAMETOOLONG as the kernel would.
 */
static inline int get_path_arg(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return EINVAL;
  if (len >= size) return ENAMETOOLONG;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || strlen(buf) != len) return EINVAL;
  return 0;
}

/* The same, malloc'ed at the string's length (free it): NULL with errno EINVAL, ENOMEM. */
static inline char *get_cstr(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return (errno = EINVAL, NULL);
  char *s = malloc(len + 1);
  if (!s) return (errno = ENOMEM, NULL);
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok || strlen(s) != len) { free(s); return (errno = EINVAL, NULL); }
  return s;
}

static inline int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* An fd argument: 0, or -1 for TypeError (not a number), -2 for RangeError (not an integer from
 * 0 to INT32_MAX). napi_get_value_int32 alone would take 3.5 as 3, NaN as 0 and 2^32 as 0. */
static inline int get_fd(napi_env env, napi_value v, int32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (!(d >= 0 && d <= INT32_MAX) || d != (double)(int32_t)d) return -2;
  *out = (int32_t)d;
  return 0;
}

napi_value spawn_daemon(napi_env env, napi_callback_info info);
napi_value spawn_process(napi_env env, napi_callback_info info);
napi_value wait_child(napi_env env, napi_callback_info info);
/* spawn.c: childSteps (the names of the steps below), added to the exports. */
bool spawn_init(napi_env env, napi_value exports);
napi_value notify_listen(napi_env env, napi_callback_info info);
napi_value notify_receive(napi_env env, napi_callback_info info);
napi_value notify_wake(napi_env env, napi_callback_info info);
napi_value notify_receive_now(napi_env env, napi_callback_info info);
napi_value notify_send(napi_env env, napi_callback_info info);
napi_value listen_socket(napi_env env, napi_callback_info info);
napi_value read_batch(napi_env env, napi_callback_info info);
napi_value page_size(napi_env env, napi_callback_info info);
napi_value proc_scan(napi_env env, napi_callback_info info);
void listen_pid_fill(char **envp); /* listen.c: in a forked child, before exec */
/* The ids a COMMAND drops to (--user/--group), read from a spec's uid, gid and groups. */
typedef struct { bool set; uid_t uid; gid_t gid; gid_t *groups; int ngroups; } ids_t;
/*
 * Each step a forked child takes before exec, a stable code: a failure is reported as
 * errno | step << 16 | index << 24 (index: which --limit, for S_SETRLIMIT), and thrown with its
 * name (STEP_NAMES in spawn.c, exported as `childSteps`) in `step`. src/errors/child-steps.ts maps each name,
 * in one table, to an error code and message; a test checks every name here has its entry there.
 * New steps go at the end: the numbers never change. umask(2) cannot fail, so it has no step; nor
 * has the signal reset (sigaction of a valid signal cannot fail; glibc's own two refuse, on purpose).
 */
enum {
  S_EXEC = 0, S_SETGROUPS, S_SETGID, S_SETUID, S_VERIFY, S_CHDIR, S_SETSID, S_FDS, S_SETRLIMIT, S_NICE,
  S_PIPE, S_FORK, S_SUBREAPER, S_COUNT
};
bool read_ids(napi_env env, napi_value obj, ids_t *ids, bool *oom);
int drop_ids(const ids_t *ids);

napi_value get_user(napi_env env, napi_callback_info info);
napi_value get_group(napi_env env, napi_callback_info info);
napi_value get_group_list(napi_env env, napi_callback_info info);

/* io.c: replaceFile, pipeBytes, readerGone, added to the exports. */
bool io_init(napi_env env, napi_value exports);
/* at.c: openAt, renameAt, unlinkAt, inodeAt, listAt (calls relative to a directory fd). */
bool at_init(napi_env env, napi_value exports);
/* signals.c: signalsDefault, signalsRestore. */
bool signals_init(napi_env env, napi_value exports);

#endif
