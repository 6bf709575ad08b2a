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
#include <unistd.h>
#include "limits.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

/* An Error like Node's system errors: message "syscall: strerror", code "ENOENT", errno, syscall. */
static inline napi_value errno_error(napi_env env, int err, const char *syscall) {
  napi_value msg, code, error, num;
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
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &msg), msg));
  return error;
}

static inline napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_throw(env, errno_error(env, err, syscall));
  return NULL;
}

static inline int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

napi_value spawn_daemon(napi_env env, napi_callback_info info);
napi_value spawn_process(napi_env env, napi_callback_info info);
napi_value wait_child(napi_env env, napi_callback_info info);
napi_value notify_listen(napi_env env, napi_callback_info info);
napi_value notify_receive(napi_env env, napi_callback_info info);
napi_value notify_wake(napi_env env, napi_callback_info info);
napi_value notify_receive_now(napi_env env, napi_callback_info info);
napi_value notify_send(napi_env env, napi_callback_info info);
napi_value listen_socket(napi_env env, napi_callback_info info);
void listen_pid_fill(char **envp); /* listen.c: in a forked child, before exec */
/* The ids a COMMAND drops to (--user/--group), read from a spec's uid, gid and groups. */
typedef struct { bool set; uid_t uid; gid_t gid; gid_t *groups; int ngroups; } ids_t;
/* Where a forked child failed, reported with the errno: errno | step << 16 | index << 24 (index:
 * which --limit, for S_SETRLIMIT). umask(2) cannot fail, so it has no step. */
enum { S_EXEC = 0, S_SETGROUPS, S_SETGID, S_SETUID, S_VERIFY, S_CHDIR, S_SETSID, S_FDS, S_SETRLIMIT, S_NICE, S_COUNT };
bool read_ids(napi_env env, napi_value obj, ids_t *ids);
int drop_ids(const ids_t *ids);

napi_value get_user(napi_env env, napi_callback_info info);
napi_value get_group(napi_env env, napi_callback_info info);
napi_value get_group_list(napi_env env, napi_callback_info info);

/* io.c: replaceFile, pipeBytes, readerGone, added to the exports. */
void io_init(napi_env env, napi_value exports);
/* at.c: openAt, renameAt, unlinkAt, inodeAt, listAt (calls relative to a directory fd). */
void at_init(napi_env env, napi_value exports);
/* signals.c: signalsDefault, signalsRestore. */
void signals_init(napi_env env, napi_value exports);

#endif
