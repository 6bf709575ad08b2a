/*
 * daemonkit's one native module: the few Linux calls Node cannot make.
 *   ofdLock / ofdTest       open-file-description locks (F_OFD_SETLK / F_OFD_GETLK)
 *   pipe                    pipe2(O_CLOEXEC): real pipes, not socketpairs
 *   spawnDaemon, spawnProcess, waitChild   process creation (spawn.c)
 *   pidfdOpen / pidfdSignal signal a verified process without a PID-reuse race
 *   pidfdWait               wait (in the thread pool) until one of several processes exits
 *   pidfdWaitSync           the same wait on the calling thread (a caller with nothing else to do)
 *   setCloexec              keep an inherited fd from reaching our children
 *   killStatus              kill(2) that returns the errno: "is the group gone?" is asked on
 *                           every stop, and a thrown ESRCH costs
 *   replaceFile, pipeBytes, readerGone  file and pipe calls Node has no cheap form of (io.c)
 *   exitNow                 _exit(2), for a process with all written and closed (io.c)
 *   openAt, renameAt, unlinkAt, inodeAt, rotatedAt, accessAcl, seekData   calls relative to a
 *                           directory fd, and the reads the log directory's checks need (at.c)
 *   replaceFd               dup2, so our own stderr follows a reopened log file
 *   stampLines              prefix whole lines with a timestamp (the log pump's hot loop)
 *   setChildSubreaper, reap  adopt orphaned descendants and reap them by pid
 *   collectGarbage          a full collection that gives memory back (the supervisor's, idle)
 *   notifyListen, notifyReceive, notifyWake, notifySend   sd_notify datagrams (notify.c)
 *   getUser, getGroup, getGroupList   the user database through NSS (user.c)
 *   signalsDefault, signalsRestore   default signal actions while the CLI blocks (signals.c)
 *   readBatch, pageSize     a report's small files read and lstat'ed in one call, on two threads;
 *                           the page size statm counts in (batch.c)
 *   limits, childSteps      limits.h's sizes and the forked child's step names, as built
 * Everything else lives in TypeScript. Keep this file small.
 */
#include "common.h"
#include <time.h>

/* pidfds one pidfdWait takes (poll's array is on the stack). */
#define WAIT_MAX 64

/* ofdLock(fd, exclusive[, wait]) -> true if taken, false if another open file description holds it.
 * With wait, blocks until it is free (F_OFD_SETLKW), for a caller with nothing else to do. */
static napi_value ofd_lock(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; int32_t fd; bool excl, wait = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &excl) != napi_ok
      || (argc > 2 && napi_get_value_bool(env, argv[2], &wait) != napi_ok))
    return throw_type(env, "ofdLock(fd, exclusive, wait?)");
  struct flock fl = { .l_type = excl ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
  int rc;
  do rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl); while (rc < 0 && errno == EINTR);
  if (rc == 0) return js_bool(env, true);
  if (!wait && (errno == EAGAIN || errno == EACCES)) return js_bool(env, false);
  return throw_errno(env, errno, wait ? "fcntl(F_OFD_SETLKW)" : "fcntl(F_OFD_SETLK)");
}

/* ofdTest(fd) -> true when some other open file description holds a lock that excludes a writer.
 * A pure query: it takes no lock, so it never makes a concurrent start fail. */
static napi_value ofd_test(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return throw_type(env, "ofdTest(fd)");
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0 };
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return throw_errno(env, errno, "fcntl(F_OFD_GETLK)");
  return js_bool(env, fl.l_type != F_UNLCK);
}

/* pipe(size?) -> [read, write], close-on-exec; with a size, F_SETPIPE_SZ (best effort: an
 * unprivileged process may go up to /proc/sys/fs/pipe-max-size, 1 MiB by default). */
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], arr, v; int fds[2]; int32_t size = 0; napi_valuetype t = napi_undefined;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &t));
  if (t != napi_undefined && (t != napi_number || get_int(env, argv[0], &size))) return throw_type(env, "pipe(size?)");
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe2");
  if (size > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, size);
  CHECK_OR(napi_create_array_with_length(env, 2, &arr), fail);
  for (uint32_t i = 0; i < 2; i++) { CHECK_OR(napi_create_int32(env, fds[i], &v), fail); CHECK_OR(napi_set_element(env, arr, i, v), fail); }
  return arr;
fail:
  close(fds[0]); close(fds[1]);
  return NULL;
}

/* pidfdOpen(pid) -> a pidfd (pidfd_open(2) makes it close-on-exec). */
static napi_value pidfd_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; int32_t pid;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &pid) || pid <= 0) return throw_type(env, "pidfdOpen(pid)");
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return throw_errno(env, errno, "pidfd_open");
  if ((out = js_int(env, fd)) == NULL) close(fd);
  return out;
}

/* pidfdSignal(pidfd, sig) -> true if sent, false if the process has already exited */
static napi_value pidfd_signal_js(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t fd, sig;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &fd) || get_int(env, argv[1], &sig)) return throw_type(env, "pidfdSignal(fd, sig)");
  if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0) return js_bool(env, true);
  if (errno == ESRCH) return js_bool(env, false);
  return throw_errno(env, errno, "pidfd_send_signal");
}

/* poll() until one of the pidfds is readable (its process exited) or timeout ms (-1: none) pass,
 * across EINTR. Returns its index, -1 on timeout; *err is poll's errno, else 0. */
static int poll_exited(const int *fds, int n, int timeout, int *err) {
  struct pollfd p[WAIT_MAX]; struct timespec t0, t1; int rc, left = timeout;
  for (int i = 0; i < n; i++) { p[i].fd = fds[i]; p[i].events = POLLIN; p[i].revents = 0; }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while ((rc = poll(p, (nfds_t)n, left)) < 0 && errno == EINTR) {
    if (timeout < 0) continue;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long spent = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    left = spent >= timeout ? 0 : timeout - (int)spent;
  }
  *err = rc < 0 ? errno : 0;
  if (rc > 0) for (int i = 0; i < n; i++) if (p[i].revents) return i;
  return -1;
}

/*
 * The arguments of pidfdWait and pidfdWaitSync: 1 to WAIT_MAX pidfds, each a whole number from 0,
 * and a timeout, -1 (none) or a whole number of ms from 0. A bad entry is refused, never read as
 * 0 (which would poll stdin instead of a process) nor cut to an int (3.5 as 3). false when they
 * are not: *range then says RangeError (a number out of range), else TypeError (a wrong type).
 */
static bool read_wait_args(napi_env env, size_t argc, napi_value *argv, int *fds, int *n, int *timeout, bool *range) {
  uint32_t len; bool is_array; double t;
  *range = false;
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &len) != napi_ok) return false;
  if (len == 0 || len > WAIT_MAX) return (*range = true, false);
  for (uint32_t i = 0; i < len; i++) {
    napi_value v; int rc;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok) return false;
    if ((rc = get_fd(env, v, &fds[i])) != 0) return (*range = rc == -2, false);
  }
  if (napi_get_value_double(env, argv[1], &t) != napi_ok) return false;
  if (!(t == -1 || (t >= 0 && t <= INT32_MAX && t == (double)(int32_t)t))) return (*range = true, false);
  *n = (int)len; *timeout = (int)t;
  return true;
}

typedef struct { napi_async_work work; napi_deferred deferred; int fds[WAIT_MAX]; int n; int timeout; int result; int err; } wait_req;

static void wait_execute(napi_env env, void *data) {
  (void)env; wait_req *r = data;
  r->result = poll_exited(r->fds, r->n, r->timeout, &r->err);
}

/* On the main thread, after the wait: the promise settles either way. */
static void wait_complete(napi_env env, napi_status status, void *data) {
  wait_req *r = data;
  bool ok = status == napi_ok && r->err == 0;
  settle(env, r->deferred, !ok, ok ? js_int(env, r->result) : errno_error(env, r->err ? r->err : ECANCELED, "poll(pidfd)"));
  (void)napi_delete_async_work(env, r->work); /* fails only for a bad handle */
  free(r);
}

/* pidfdWait(pidfds, timeoutMs) -> Promise<index of an exited process, or -1 on timeout> */
static napi_value pidfd_wait_js(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], promise, name; bool range;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  wait_req *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "pidfdWait");
  if (!read_wait_args(env, argc, argv, r->fds, &r->n, &r->timeout, &range)) {
    free(r);
    return range ? throw_range(env, "pidfdWait(fds, timeoutMs): 1 to 64 fds from 0, a timeout of -1 or 0 to 2^31-1 ms")
                 : throw_type(env, "pidfdWait(fds, timeoutMs): an array of fds (numbers) and a timeout (a number)");
  }
  CHECK_OR(napi_create_promise(env, &r->deferred, &promise), fail);
  CHECK_OR(napi_create_string_utf8(env, "daemonkit.pidfdWait", NAPI_AUTO_LENGTH, &name), fail);
  CHECK_OR(napi_create_async_work(env, NULL, name, wait_execute, wait_complete, r, &r->work), fail);
  if (napi_queue_async_work(env, r->work) != napi_ok) { napi_delete_async_work(env, r->work); napi_failed(env, "napi_queue_async_work"); goto fail; }
  return promise;
fail:
  free(r); /* a promise made is never settled: nobody has it, as this call throws */
  return NULL;
}

/* pidfdWaitSync(pidfds, timeoutMs) -> index of an exited process, or -1 on timeout: poll() on the
 * calling thread, for a caller with nothing else to do meanwhile (the CLI's stop). It needs no
 * thread-pool round trip, and starts no pool threads (which exit would then have to join). */
static napi_value pidfd_wait_sync_js(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int fds[WAIT_MAX], n, timeout, err; bool range;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!read_wait_args(env, argc, argv, fds, &n, &timeout, &range))
    return range ? throw_range(env, "pidfdWaitSync(fds, timeoutMs): 1 to 64 fds from 0, a timeout of -1 or 0 to 2^31-1 ms")
                 : throw_type(env, "pidfdWaitSync(fds, timeoutMs): an array of fds (numbers) and a timeout (a number)");
  int result = poll_exited(fds, n, timeout, &err);
  if (err) return throw_errno(env, err, "poll(pidfd)");
  return js_int(env, result);
}

/* killStatus(pid, signal) -> 0, or the errno (ESRCH: no such process or group). Asked on every
 * stop ("is the group gone?"), where a thrown ESRCH would cost (docs/decisions.md). */
static napi_value kill_status(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t pid, sig;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &pid) || get_int(env, argv[1], &sig)) return throw_type(env, "killStatus(pid, signal)");
  return js_int(env, kill(pid, sig) == 0 ? 0 : errno);
}

/* setCloexec(fd): an inherited fd must not reach the programs we start next. */
static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return throw_type(env, "setCloexec(fd)");
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl(F_SETFD)");
  return NULL;
}

/* replaceFd(from, to): dup2 — the supervisor's own stderr follows its reopened log file. */
static napi_value replace_fd(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t from, to;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &from) || get_int(env, argv[1], &to)) return throw_type(env, "replaceFd(from, to)");
  int r; do r = dup2(from, to); while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "dup2");
  return NULL;
}

/* stampLines(src, prefix, dst) -> [consumed, written]: copy whole lines of src into dst, each
 * after `prefix` (--log-timestamps), as many as fit. In C for the log pump's throughput
 * (docs/decisions.md). */
static napi_value stamp_lines(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3], out, v; void *src, *prefix, *dst; size_t nsrc, nprefix, ndst;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_buffer_info(env, argv[0], &src, &nsrc) != napi_ok || napi_get_buffer_info(env, argv[1], &prefix, &nprefix) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &dst, &ndst) != napi_ok) return throw_type(env, "stampLines(src, prefix, dst)");
  const char *s = src, *end = s + nsrc; char *d = dst; size_t used = 0;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) break;
    size_t line = (size_t)(nl - s) + 1;
    if (used + nprefix + line > ndst) break;
    memcpy(d + used, prefix, nprefix); used += nprefix;
    memcpy(d + used, s, line); used += line;
    s += line;
  }
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, (double)(s - (const char *)src), &v)); CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_double(env, (double)used, &v)); CHECK(napi_set_element(env, out, 1, v));
  return out;
}

/* setChildSubreaper(): orphaned descendants are re-parented to us instead of to PID 1. */
static napi_value set_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  return NULL;
}

/* reap(pid) -> true if `pid` (a child of ours that libuv does not know of) was reaped now.
 * Never waits on -1: that would steal the exit statuses libuv waits for. */
static napi_value reap(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t pid; int status;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &pid) || pid <= 0) return throw_type(env, "reap(pid)");
  pid_t r; do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  return js_bool(env, r == pid);
}

/* collectGarbage(): a full collection that also returns what the heap no longer needs, above
 * all the young generation's spare semi-space (1 MiB resident once used), which a plain gc()
 * keeps. Node exposes no LowMemoryNotification; V8 runs this collection (its reduce-memory flag,
 * synchronously) when told of external memory beyond its hard limit (half the old space), so we
 * tell it of that much and take it back at once: nothing is allocated, and the external-memory
 * accounting ends as it was (see docs/decisions.md, "The supervisor's memory"). */
#define PRESSURE_BYTES ((int64_t)1 << 40)
static napi_value collect_garbage(napi_env env, napi_callback_info info) {
  (void)info; int64_t total;
  CHECK(napi_adjust_external_memory(env, PRESSURE_BYTES, &total));
  CHECK(napi_adjust_external_memory(env, -PRESSURE_BYTES, &total));
  return NULL;
}

void relay_init(napi_env env, napi_value exports); /* relay.c */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "ofdLock", NULL, ofd_lock, NULL, NULL, NULL, napi_default, NULL },
    { "ofdTest", NULL, ofd_test, NULL, NULL, NULL, napi_default, NULL },
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL },
    { "spawnDaemon", NULL, spawn_daemon, NULL, NULL, NULL, napi_default, NULL },
    { "spawnProcess", NULL, spawn_process, NULL, NULL, NULL, napi_default, NULL },
    { "waitChild", NULL, wait_child, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdOpen", NULL, pidfd_open_js, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdSignal", NULL, pidfd_signal_js, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdWait", NULL, pidfd_wait_js, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdWaitSync", NULL, pidfd_wait_sync_js, NULL, NULL, NULL, napi_default, NULL },
    { "killStatus", NULL, kill_status, NULL, NULL, NULL, napi_default, NULL },
    { "setCloexec", NULL, set_cloexec, NULL, NULL, NULL, napi_default, NULL },
    { "replaceFd", NULL, replace_fd, NULL, NULL, NULL, napi_default, NULL },
    { "stampLines", NULL, stamp_lines, NULL, NULL, NULL, napi_default, NULL },
    { "setChildSubreaper", NULL, set_subreaper, NULL, NULL, NULL, napi_default, NULL },
    { "reap", NULL, reap, NULL, NULL, NULL, napi_default, NULL },
    { "collectGarbage", NULL, collect_garbage, NULL, NULL, NULL, napi_default, NULL },
    { "notifyListen", NULL, notify_listen, NULL, NULL, NULL, napi_default, NULL },
    { "notifyReceive", NULL, notify_receive, NULL, NULL, NULL, napi_default, NULL },
    { "notifyWake", NULL, notify_wake, NULL, NULL, NULL, napi_default, NULL },
    { "notifyReceiveNow", NULL, notify_receive_now, NULL, NULL, NULL, napi_default, NULL },
    { "notifySend", NULL, notify_send, NULL, NULL, NULL, napi_default, NULL },
    { "listenSocket", NULL, listen_socket, NULL, NULL, NULL, napi_default, NULL },
    { "readBatch", NULL, read_batch, NULL, NULL, NULL, napi_default, NULL },
    { "pageSize", NULL, page_size, NULL, NULL, NULL, napi_default, NULL },
    { "procScan", NULL, proc_scan, NULL, NULL, NULL, napi_default, NULL },
    { "getUser", NULL, get_user, NULL, NULL, NULL, napi_default, NULL },
    { "getGroup", NULL, get_group, NULL, NULL, NULL, napi_default, NULL },
    { "getGroupList", NULL, get_group_list, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  /* limits.h as the module was built with it: a test checks src/sys/limits.ts says the same. */
  napi_value limits;
  CHECK(napi_create_object(env, &limits));
  const struct { const char *name; int value; } sizes[] = {
    { "PATH_MAX", DK_PATH_MAX }, { "MAX_LIMITS", DK_MAX_LIMITS }, { "MAX_FDS", DK_MAX_FDS },
    { "MAX_GROUPS", DK_MAX_GROUPS }, { "MAX_ARG_STRLEN", DK_MAX_ARG_STRLEN },
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) if (!set_int(env, limits, sizes[i].name, sizes[i].value)) return napi_failed(env, "limits");
  CHECK(napi_set_named_property(env, exports, "limits", limits));
  if (!spawn_init(env, exports) || !io_init(env, exports) || !at_init(env, exports) || !signals_init(env, exports)) return napi_failed(env, "init");
  relay_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
