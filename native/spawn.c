/* spawnDaemon: daemon(7) steps 1-8 in one native call (Node cannot fork). */
#include "common.h"

/* Reset every signal disposition and the mask: what the caller ignored or blocked must not leak. */
static void reset_signal_state(void) {
  struct sigaction dfl; memset(&dfl, 0, sizeof dfl); dfl.sa_handler = SIG_DFL; sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &dfl, NULL);
  }
  sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
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
napi_value spawn_daemon(napi_env env, napi_callback_info info) {
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

