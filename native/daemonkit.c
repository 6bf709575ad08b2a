/*
 * daemonkit's one native module: the few Linux calls Node cannot make.
 *   ofdLock / ofdTest       open-file-description locks (F_OFD_SETLK / F_OFD_GETLK)
 *   pipe                    pipe2(O_CLOEXEC): real pipes, not socketpairs
 *   spawnDaemon             fork, setsid, fork, clean exec context, execve (daemon(7) steps 1-8)
 *   pidfdOpen / pidfdSignal signal a verified process without a PID-reuse race
 *   pidfdWait               wait (in the thread pool) until one of several processes exits
 *   setCloexec              keep an inherited fd from reaching our children
 *   setChildSubreaper, reap  adopt orphaned descendants and reap them by pid
 *   resetSignals            SIG_DFL for ignored real-time signals (for foreground `run`)
 * Everything else lives in TypeScript. Keep this file small.
 */
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
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
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &msg), msg));
  napi_throw(env, error);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* ofdLock(fd, exclusive) -> true if taken, false if another open file description holds it */
static napi_value ofd_lock(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t fd; bool excl; napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &excl) != napi_ok)
    return (napi_throw_type_error(env, NULL, "ofdLock(fd, exclusive)"), NULL);
  struct flock fl = { .l_type = excl ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return (napi_get_boolean(env, true, &out), out);
  if (errno == EAGAIN || errno == EACCES) return (napi_get_boolean(env, false, &out), out);
  return throw_errno(env, errno, "fcntl(F_OFD_SETLK)");
}

/* ofdTest(fd) -> true when some other open file description holds a lock that excludes a writer.
 * A pure query: it takes no lock, so it never makes a concurrent start fail. */
static napi_value ofd_test(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd; napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return (napi_throw_type_error(env, NULL, "ofdTest(fd)"), NULL);
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0 };
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return throw_errno(env, errno, "fcntl(F_OFD_GETLK)");
  napi_get_boolean(env, fl.l_type != F_UNLCK, &out);
  return out;
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  int fds[2]; napi_value arr, v;
  (void)info;
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe2");
  napi_create_array_with_length(env, 2, &arr);
  for (int i = 0; i < 2; i++) { napi_create_int32(env, fds[i], &v); napi_set_element(env, arr, i, v); }
  return arr;
}

/* Reset every signal disposition and the mask: what the caller ignored or blocked must not leak. */
static void reset_signal_state(void) {
  struct sigaction dfl; memset(&dfl, 0, sizeof dfl); dfl.sa_handler = SIG_DFL; sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &dfl, NULL);
  }
  sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
}

/* resetSignals(): for a Node process that will spawn children. libuv resets signals 1-31 in
 * each child but not the real-time ones, so reset those that the caller left ignored here.
 * (1-31 stay as they are: Node itself relies on ignoring SIGPIPE.) */
static napi_value reset_signals(napi_env env, napi_callback_info info) {
  (void)info; (void)env;
  struct sigaction dfl; memset(&dfl, 0, sizeof dfl); dfl.sa_handler = SIG_DFL; sigemptyset(&dfl.sa_mask);
  for (int s = 32; s < NSIG; s++) {
    struct sigaction cur;
    if (sigaction(s, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN) sigaction(s, &dfl, NULL);
  }
  return NULL;
}

static char **get_strings(napi_env env, napi_value arr) {
  uint32_t n; bool is_arr;
  if (napi_is_array(env, arr, &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value v; size_t len;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) { out[i] = NULL; break; }
    out[i] = malloc(len + 1);
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
}

static void free_strings(char **s) { if (!s) return; for (char **p = s; *p; p++) free(*p); free(s); }

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) { ssize_t w = write(fd, p, len); if (w < 0 && errno == EINTR) continue; if (w <= 0) return; p += w; len -= (size_t)w; }
}

/* Runs in the forked grandchild: async-signal-safe calls only. */
static void exec_child(int report, const char *file, char **argv, char **envp, int *fds, int nfds, const char *cwd) {
  reset_signal_state();                           /* daemon(7) steps 2-3 */
  int high[64];
  for (int i = 0; i < nfds; i++) {                /* move sources out of the way, then place them at 0..n-1 */
    high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64);
    if (high[i] < 0) goto fail;
  }
  for (int i = 0; i < nfds; i++) if (dup2(high[i], i) < 0) goto fail;
  /* daemon(7) step 1: every other fd is closed at exec (CLOSE_RANGE_CLOEXEC keeps `report`
   * usable until then, so an exec failure can still be reported). */
  if (syscall(SYS_close_range, (unsigned)nfds, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0) {
    struct rlimit rl; long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 65536;
    for (long fd = nfds; fd < max; fd++) if (fd != report) close((int)fd);
  }
  if (cwd && chdir(cwd) != 0) goto fail;
  execve(file, argv, envp);
fail: ;
  int err = errno;
  write_all(report, &err, sizeof err);
  _exit(127);
}

/* spawnDaemon(file, argv, envp, fds, cwd) -> pid of the daemon (the grandchild).
 * fork -> setsid -> fork: the daemon is in a new session but is not its leader, so it can
 * never acquire a controlling terminal; its parent exits, so it is re-parented to init.
 * Returns only after the daemon has exec'd (or throws the exec errno). */
static napi_value spawn_daemon(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5]; napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return (napi_throw_type_error(env, NULL, "spawnDaemon(file, argv, envp, fds, cwd)"), NULL);
  size_t flen; char file[4096], cwd[4096];
  if (napi_get_value_string_utf8(env, argv[0], file, sizeof file, &flen) != napi_ok) return (napi_throw_type_error(env, NULL, "file"), NULL);
  if (napi_get_value_string_utf8(env, argv[4], cwd, sizeof cwd, &flen) != napi_ok) return (napi_throw_type_error(env, NULL, "cwd"), NULL);
  char **args = get_strings(env, argv[1]), **envs = get_strings(env, argv[2]);
  uint32_t nfds = 0; int fds[64];
  napi_get_array_length(env, argv[3], &nfds);
  if (!args || !envs || nfds > 64) { free_strings(args); free_strings(envs); return (napi_throw_type_error(env, NULL, "argv/envp/fds"), NULL); }
  for (uint32_t i = 0; i < nfds; i++) { napi_value v; napi_get_element(env, argv[3], i, &v); get_int(env, v, &fds[i]); }

  int rep[2];
  if (pipe2(rep, O_CLOEXEC) != 0) { free_strings(args); free_strings(envs); return throw_errno(env, errno, "pipe2"); }
  /* Block signals across fork so no Node handler runs in a child. */
  sigset_t all, old; sigfillset(&all); pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t mid = fork();
  if (mid == 0) {
    close(rep[0]);
    if (setsid() < 0) { int err = errno; pid_t none = 0; write_all(rep[1], &none, sizeof none); write_all(rep[1], &err, sizeof err); _exit(1); }
    pid_t daemon = fork();
    if (daemon == 0) exec_child(rep[1], file, args, envs, fds, (int)nfds, cwd);
    if (daemon < 0) { int err = errno; pid_t none = 0; write_all(rep[1], &none, sizeof none); write_all(rep[1], &err, sizeof err); _exit(1); }
    write_all(rep[1], &daemon, sizeof daemon);
    _exit(0);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(rep[1]);
  free_strings(args); free_strings(envs);
  if (mid < 0) { close(rep[0]); return throw_errno(env, fork_err, "fork"); }
  int status; while (waitpid(mid, &status, 0) < 0 && errno == EINTR) {}
  char buf[sizeof(pid_t) + sizeof(int)]; size_t got = 0;
  while (got < sizeof buf) {
    ssize_t r = read(rep[0], buf + got, sizeof buf - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(rep[0]);
  pid_t pid = 0; int err = 0;
  if (got >= sizeof pid) memcpy(&pid, buf, sizeof pid);
  if (got == sizeof buf) memcpy(&err, buf + sizeof pid, sizeof err);
  if (got < sizeof pid) return throw_errno(env, EIO, "spawnDaemon");
  if (err) return throw_errno(env, err, pid ? "execve" : "fork");
  napi_create_int32(env, pid, &out);
  return out;
}

static napi_value pidfd_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t pid; napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &pid) || pid <= 0) return (napi_throw_type_error(env, NULL, "pidfdOpen(pid)"), NULL);
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return throw_errno(env, errno, "pidfd_open");
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  napi_create_int32(env, fd, &out);
  return out;
}

/* pidfdSignal(pidfd, sig) -> true if sent, false if the process has already exited */
static napi_value pidfd_signal_js(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t fd, sig; napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &fd) || get_int(env, argv[1], &sig)) return (napi_throw_type_error(env, NULL, "pidfdSignal(fd, sig)"), NULL);
  if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0) return (napi_get_boolean(env, true, &out), out);
  if (errno == ESRCH) return (napi_get_boolean(env, false, &out), out);
  return throw_errno(env, errno, "pidfd_send_signal");
}

typedef struct { napi_async_work work; napi_deferred deferred; int fds[64]; int n; int timeout; int result; int err; } wait_req;

static void wait_execute(napi_env env, void *data) {
  (void)env; wait_req *r = data; struct pollfd p[64];
  for (int i = 0; i < r->n; i++) { p[i].fd = r->fds[i]; p[i].events = POLLIN; p[i].revents = 0; }
  int rc;
  do rc = poll(p, (nfds_t)r->n, r->timeout); while (rc < 0 && errno == EINTR);
  r->result = -1; r->err = rc < 0 ? errno : 0;
  if (rc > 0) for (int i = 0; i < r->n; i++) if (p[i].revents) { r->result = i; break; }
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  wait_req *r = data; napi_value v;
  if (status == napi_ok && r->err == 0) { napi_create_int32(env, r->result, &v); napi_resolve_deferred(env, r->deferred, v); }
  else { napi_value msg; napi_create_string_utf8(env, "poll(pidfd) failed", NAPI_AUTO_LENGTH, &msg); napi_create_error(env, NULL, msg, &v); napi_reject_deferred(env, r->deferred, v); }
  napi_delete_async_work(env, r->work);
  free(r);
}

/* pidfdWait(pidfds, timeoutMs) -> Promise<index of an exited process, or -1 on timeout> */
static napi_value pidfd_wait_js(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], promise, name; uint32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0 || n > 64) return (napi_throw_type_error(env, NULL, "pidfdWait(fds, timeoutMs)"), NULL);
  wait_req *r = calloc(1, sizeof *r); r->n = (int)n;
  for (uint32_t i = 0; i < n; i++) { napi_value v; napi_get_element(env, argv[0], i, &v); get_int(env, v, &r->fds[i]); }
  if (get_int(env, argv[1], &r->timeout)) r->timeout = -1;
  CHECK(napi_create_promise(env, &r->deferred, &promise));
  napi_create_string_utf8(env, "daemonkit.pidfdWait", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_async_work(env, NULL, name, wait_execute, wait_complete, r, &r->work));
  CHECK(napi_queue_async_work(env, r->work));
  return promise;
}

/* setCloexec(fd): an inherited fd must not reach the programs we start next. */
static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return (napi_throw_type_error(env, NULL, "setCloexec(fd)"), NULL);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl(F_SETFD)");
  return NULL;
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
  size_t argc = 1; napi_value argv[1], out; int32_t pid; int status;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &pid) || pid <= 0) return (napi_throw_type_error(env, NULL, "reap(pid)"), NULL);
  pid_t r; do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  napi_get_boolean(env, r == pid, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "ofdLock", NULL, ofd_lock, NULL, NULL, NULL, napi_default, NULL },
    { "ofdTest", NULL, ofd_test, NULL, NULL, NULL, napi_default, NULL },
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL },
    { "spawnDaemon", NULL, spawn_daemon, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdOpen", NULL, pidfd_open_js, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdSignal", NULL, pidfd_signal_js, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdWait", NULL, pidfd_wait_js, NULL, NULL, NULL, napi_default, NULL },
    { "setCloexec", NULL, set_cloexec, NULL, NULL, NULL, napi_default, NULL },
    { "setChildSubreaper", NULL, set_subreaper, NULL, NULL, NULL, napi_default, NULL },
    { "reap", NULL, reap, NULL, NULL, NULL, napi_default, NULL },
    { "resetSignals", NULL, reset_signals, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
