/*
 * Process creation, in C because Node cannot run code between fork() and exec():
 *   spawnDaemon(daemon, command?, guardFd?)
 *                                  daemon(7) steps 1-8: fork, setsid, fork, clean context, exec.
 *                                  With a command, the daemon's first act (before exec'ing node)
 *                                  is to fork and exec it, so a start does not wait for node to boot;
 *                                  with guardFd, it then forks the COMMAND's guard (guard_command).
 *   spawnProcess(command, forked?) fork, setsid, clean context, exec: a COMMAND the supervisor runs;
 *                                  with forked(pid), exec'd only once that has returned.
 *   waitChild(pid)                 reap one child of ours that libuv does not know of.
 * A spec is { file, argv, envp, fds, cwd, umask (-1: keep), setsid, limits?, nice?, uid?, gid?, groups? }.
 * With uid, the child drops to uid/gid/groups (setgroups, setgid, setuid) after the limits and
 * nice value and before chdir and exec. Each step before exec that fails is reported by its name
 * (STEP_NAMES) with its errno, not as an exec failure. Sizes come from limits.h, which the
 * TypeScript side checks first; a spec beyond them is refused (TypeError naming the field), never cut.
 * Only async-signal-safe calls run in a forked child; spawnProcess's child shares our memory until
 * it execs (clone(CLONE_VM): fork_exec), so it also writes nothing we read meanwhile, and sets no
 * ids through glibc.
 */
#include "common.h"
#include <sched.h>
#include <sys/mman.h>

typedef struct {
  int resource;
  struct rlimit value;
} limit_t;

typedef struct {
  char file[DK_PATH_MAX];
  char cwd[DK_PATH_MAX];
  char **argv;
  char **envp;
  int fds[DK_MAX_FDS];
  int nfds;
  int umask;
  bool setsid;
  bool supervisor; /* the daemon is our supervisor: a child subreaper before its COMMAND is forked */
  limit_t limits[DK_MAX_LIMITS];
  int nlimits;
  bool has_nice;
  int32_t nice;
  ids_t ids;   /* --user/--group (user.c) */
} spec_t;

static const char *const STEP_NAMES[S_COUNT] = {
  [S_EXEC] = "execve", [S_SETGROUPS] = "setgroups", [S_SETGID] = "setgid", [S_SETUID] = "setuid", [S_VERIFY] = "verify",
  [S_CHDIR] = "chdir", [S_SETSID] = "setsid", [S_FDS] = "fds", [S_SETRLIMIT] = "setrlimit", [S_NICE] = "nice",
  [S_PIPE] = "pipe", [S_FORK] = "fork", [S_SUBREAPER] = "subreaper",
};

/* childSteps: STEP_NAMES, indexed by the step's code (a test checks src/errors/child-steps.ts maps each). */
bool spawn_init(napi_env env, napi_value exports) {
  napi_value arr, v;
  if (napi_create_array_with_length(env, S_COUNT, &arr) != napi_ok) return false;
  for (uint32_t i = 0; i < S_COUNT; i++)
    if (napi_create_string_utf8(env, STEP_NAMES[i], NAPI_AUTO_LENGTH, &v) != napi_ok || napi_set_element(env, arr, i, v) != napi_ok) return false;
  return napi_set_named_property(env, exports, "childSteps", arr) == napi_ok;
}

/* Resource names the CLI accepts (--limit NAME=SOFT[:HARD]), mapped here so the numbers are
 * always the platform's. */
static int resource_of(const char *name) {
  if (!strcmp(name, "nofile")) return RLIMIT_NOFILE;
  if (!strcmp(name, "core")) return RLIMIT_CORE;
  if (!strcmp(name, "nproc")) return RLIMIT_NPROC;
  if (!strcmp(name, "memlock")) return RLIMIT_MEMLOCK;
  if (!strcmp(name, "stack")) return RLIMIT_STACK;
  if (!strcmp(name, "as")) return RLIMIT_AS;
  if (!strcmp(name, "fsize")) return RLIMIT_FSIZE;
  if (!strcmp(name, "cpu")) return RLIMIT_CPU;
  return -1;
}

/* A limit's value: -1 (unlimited) or a whole number below 2^63 (never NaN, 1.5 or 1e300 cast). */
static bool rlim_ok(double d) { return d == -1 || (d >= 0 && d < 9223372036854775808.0 && d == (double)(int64_t)d); }

/* limits: [[name, soft, hard], …] with -1 meaning unlimited. */
static bool read_limits(napi_env env, napi_value arr, spec_t *s) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > DK_MAX_LIMITS) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item, v; char name[32]; double soft, hard;
    if (napi_get_element(env, arr, i, &item) != napi_ok) return false;
    if (napi_get_element(env, item, 0, &v) != napi_ok || get_path_arg(env, v, name, sizeof name) != 0) return false;
    if (napi_get_element(env, item, 1, &v) != napi_ok || napi_get_value_double(env, v, &soft) != napi_ok || !rlim_ok(soft)) return false;
    if (napi_get_element(env, item, 2, &v) != napi_ok || napi_get_value_double(env, v, &hard) != napi_ok || !rlim_ok(hard)) return false;
    int res = resource_of(name);
    if (res < 0) return false;
    s->limits[i].resource = res;
    s->limits[i].value.rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
    s->limits[i].value.rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
  }
  s->nlimits = (int)n;
  return true;
}

/* Records on the report pipe: 8 bytes each (< PIPE_BUF, so writes from several processes never mix). */
enum { R_DAEMON_PID = 1, R_COMMAND_PID, R_DAEMON_ERR, R_COMMAND_ERR, R_FORK_ERR, R_HELD };

static void free_strings(char **s) { if (!s) return; for (char **p = s; *p; p++) free(*p); free(s); }
static void free_spec(spec_t *s) { free_strings(s->argv); free_strings(s->envp); free(s->ids.groups); memset(s, 0, sizeof *s); }

/* A list of strings, NULL-terminated; NULL when it is not one (an element not a string, one
 * longer than the kernel takes, one with a NUL byte inside) or memory ran out: never a list or a
 * string cut short. */
static char **get_strings(napi_env env, napi_value arr, bool *oom) {
  uint32_t n; bool is_arr;
  if (napi_is_array(env, arr, &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) return (*oom = true, NULL);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v; size_t len;
    bool ok = napi_get_element(env, arr, i, &v) == napi_ok && napi_get_value_string_utf8(env, v, NULL, 0, &len) == napi_ok && len < DK_MAX_ARG_STRLEN;
    if (ok && !(out[i] = malloc(len + 1))) *oom = true;
    if (!ok || !out[i] || get_path_arg(env, v, out[i], len + 1) != 0) { free_strings(out); return NULL; }
  }
  return out;
}

/* read_spec's answer when memory ran out (not the spec's fault): thrown as ENOMEM. */
static const char OUT_OF_MEMORY[] = "out of memory";

/* A path into a fixed buffer: false when it is not a string or does not fit (never cut short). */
static bool get_path(napi_env env, napi_value v, char *buf, size_t size) { return get_path_arg(env, v, buf, size) == 0; }

/* An optional property: false when it is there but not of type `t` (never a silent default). */
static bool optional(napi_env env, napi_value obj, const char *key, napi_valuetype t, napi_value *v, bool *present) {
  napi_valuetype got;
  if (napi_get_named_property(env, obj, key, v) != napi_ok || napi_typeof(env, *v, &got) != napi_ok) return false;
  *present = got != napi_undefined;
  return !*present || got == t;
}

/* Read a spec into *s (zeroed first, so free_spec is always safe). Returns NULL, or the name of
 * the field that is not usable. */
static const char *read_spec(napi_env env, napi_value obj, spec_t *s) {
  napi_value v; uint32_t n; bool present;
  memset(s, 0, sizeof *s);
  s->umask = -1;
  if (napi_get_named_property(env, obj, "file", &v) != napi_ok || !get_path(env, v, s->file, sizeof s->file)) return "file";
  if (napi_get_named_property(env, obj, "cwd", &v) != napi_ok || !get_path(env, v, s->cwd, sizeof s->cwd)) return "cwd";
  bool oom = false;
  if (napi_get_named_property(env, obj, "argv", &v) != napi_ok || !(s->argv = get_strings(env, v, &oom))) return oom ? OUT_OF_MEMORY : "argv";
  if (napi_get_named_property(env, obj, "envp", &v) != napi_ok || !(s->envp = get_strings(env, v, &oom))) return oom ? OUT_OF_MEMORY : "envp";
  if (napi_get_named_property(env, obj, "fds", &v) != napi_ok || napi_get_array_length(env, v, &n) != napi_ok || n > DK_MAX_FDS) return "fds";
  for (uint32_t i = 0; i < n; i++) { napi_value e; if (napi_get_element(env, v, i, &e) != napi_ok || get_int(env, e, &s->fds[i])) return "fds"; }
  s->nfds = (int)n;
  if (!optional(env, obj, "umask", napi_number, &v, &present) || (present && (get_int(env, v, &s->umask) || s->umask < -1 || s->umask > 0777))) return "umask";
  if (!optional(env, obj, "setsid", napi_boolean, &v, &present) || (present && napi_get_value_bool(env, v, &s->setsid) != napi_ok)) return "setsid";
  if (!optional(env, obj, "supervisor", napi_boolean, &v, &present) || (present && napi_get_value_bool(env, v, &s->supervisor) != napi_ok)) return "supervisor";
  if (!optional(env, obj, "limits", napi_object, &v, &present) || (present && !read_limits(env, v, s))) return "limits";
  if (!optional(env, obj, "nice", napi_number, &v, &present) || (present && get_int(env, v, &s->nice))) return "nice";
  s->has_nice = present;
  return read_ids(env, obj, &s->ids, &oom) ? NULL : oom ? OUT_OF_MEMORY : "uid/gid/groups";
}

/* Throw a TypeError for a spec read_spec refused: "spawnDaemon: bad command spec (limits)". */
static napi_value throw_bad_spec(napi_env env, const char *what, const char *field) {
  if (field == OUT_OF_MEMORY) return throw_errno(env, ENOMEM, what);
  char text[128]; /* what and field are short constants: it always fits */
  snprintf(text, sizeof text, "%s (%s)", what, field ? field : "missing");
  return throw_type(env, text);
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) { ssize_t w = write(fd, p, len); if (w < 0 && errno == EINTR) continue; if (w <= 0) return; p += w; len -= (size_t)w; }
}

static void record(int fd, int32_t tag, int32_t value) { int32_t r[2] = { tag, value }; write_all(fd, r, sizeof r); }

static void reset_signal_state(void) {
  /* A report written after the launcher died (kill -9 mid-start) left a SIGPIPE pending under the
   * blocked mask: unblocked at default it would kill us before exec, and the COMMAND already
   * forked would run on with no supervisor. Ignoring a signal discards it while pending. */
  struct sigaction ign; memset(&ign, 0, sizeof ign); ign.sa_handler = SIG_IGN; sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, NULL);
  struct sigaction dfl; memset(&dfl, 0, sizeof dfl); dfl.sa_handler = SIG_DFL; sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; s++) if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
  sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In a forked child: a clean context (daemon(7) steps 1-3 and 10-11), then exec. Never returns. */
static void exec_child(int report, int err_tag, const spec_t *s, int hold) {
  int step = S_SETSID;
  reset_signal_state();
  /* The daemon is node, which blocks SIGUSR1 early in its start-up (its inspector's handler takes
   * a pending one later; the supervisor closes an inspector that opens) and then resets the
   * disposition itself. Before that, ~ms after exec, a SIGUSR1 (logrotate's, right after a start)
   * would kill it: ignored until node takes over. A COMMAND gets every signal at its default. */
  if (err_tag == R_DAEMON_ERR) { struct sigaction ign; memset(&ign, 0, sizeof ign); ign.sa_handler = SIG_IGN; sigaction(SIGUSR1, &ign, NULL); }
  if (s->setsid && setsid() < 0) goto fail;
  step = S_FDS;
  /* The report pipe goes high first, so no dup2 below can land on it. */
  int moved = fcntl(report, F_DUPFD_CLOEXEC, 64);
  if (moved < 0) goto fail;
  report = moved;
  if (hold >= 0 && (hold = fcntl(hold, F_DUPFD_CLOEXEC, 64)) < 0) goto fail;
  int high[DK_MAX_FDS];
  for (int i = 0; i < s->nfds; i++) if (s->fds[i] >= 0 && (high[i] = fcntl(s->fds[i], F_DUPFD_CLOEXEC, 64)) < 0) goto fail;
  /* fds[i] < 0: a gap (say, between stderr and a readiness fd N), closed in the child. */
  for (int i = 0; i < s->nfds; i++) if (s->fds[i] >= 0 ? dup2(high[i], i) < 0 : (close(i), false)) goto fail;
  /* Every other fd closes at exec; CLOSE_RANGE_CLOEXEC keeps `report` usable until then. */
  if (syscall(SYS_close_range, (unsigned)s->nfds, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0) {
    struct rlimit rl; long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 65536;
    for (long fd = s->nfds; fd < max; fd++) if (fd != report && fd != hold) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  }
  if (s->umask >= 0) umask((mode_t)s->umask);
  for (int i = 0; i < s->nlimits; i++) if (setrlimit(s->limits[i].resource, &s->limits[i].value) != 0) { step = S_SETRLIMIT | i << 8; goto fail; }
  step = S_NICE; if (s->has_nice && setpriority(PRIO_PROCESS, 0, s->nice) != 0) goto fail;
  /* Limits and nice first (raising them needs root), then the drop; chdir and exec as the user. */
  if (s->ids.set && (step = drop_ids(&s->ids)) != 0) goto fail;
  step = S_CHDIR; if (chdir(s->cwd) != 0) goto fail;
  /* Held: exec only once the supervisor has written that we exist (a byte on `hold`). A pipe
   * closed first: the supervisor died before any file named us; never exec'd, nothing to find.
   * Every step that can fail is behind us: the parent, told so (R_HELD), runs its code while we
   * wait here (sharing its memory: see fork_exec), and nothing here writes errno meanwhile. */
  if (hold >= 0) {
    record(report, R_HELD, 0);
    char go; ssize_t n;
    do n = read(hold, &go, 1); while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);
  }
  step = S_EXEC;
  listen_pid_fill(s->envp);
  execve(s->file, s->argv, s->envp);
fail:
  record(report, err_tag, errno | step << 16);
  _exit(127);
}

/* Throw a forked child's failure: the errno, with `step` naming where it failed ("execve" at
 * exec, whose message keeps `syscall`: "execve(command): …") and, for setrlimit, `index`: which
 * of the spec's limits. `syscall` says which child: "execve(command)" or the daemon's "execve". */
static napi_value throw_child_error(napi_env env, int value, const char *syscall) {
  int err = value & 0xffff, step = (value >> 16) & 0xff, index = (value >> 24) & 0x7f;
  if (step >= S_COUNT) return throw_errno(env, err, syscall);
  napi_value error = errno_error(env, err, step == S_EXEC ? syscall : STEP_NAMES[step]);
  if (!error || !set_string(env, error, "syscall", syscall) || !set_string(env, error, "step", STEP_NAMES[step])
      || (step == S_SETRLIMIT && !set_int(env, error, "index", index)) || napi_throw(env, error) != napi_ok) return napi_failed(env, "spawn: child error");
  return NULL;
}

/* The child of fork_exec on its own stack, sharing the parent's memory. */
typedef struct { const spec_t *s; int report, hold, unused[2]; } clone_args_t;
static int clone_child(void *arg) {
  const clone_args_t *a = arg;
  /* The parent's ends: with go's write end open here, a parent killed would leave us waiting. */
  for (int i = 0; i < 2; i++) if (a->unused[i] >= 0) close(a->unused[i]);
  exec_child(a->report, R_COMMAND_ERR, a->s, a->hold);
  return 127;
}

/* The stack of a child that shares our memory until it execs (its pre-exec steps need a few KiB). */
#define CLONE_STACK (256 * 1024)

/* Fork and exec a command; returns its pid once it has exec'd, or -(errno | step << 16 …), or 0
 * when `forked` threw (its exception pending; the child never exec'd and is reaped). With
 * `forked`, the child waits before exec until forked(pid) has returned.
 * `share_vm` (the supervisor's COMMANDs): clone(CLONE_VM), as posix_spawn does, not fork: a fork
 * of node copies its page tables and makes every page it writes afterwards fault (measured in the
 * shared supervisor: ~1 ms a start, docs/decisions.md). Unlike vfork we run on while the child
 * waits for its byte, so while it runs, we only wait on the report pipe, except in forked() while
 * it is held (R_HELD: past every step that can fail): the child never writes memory we use, nor
 * errno (our thread's, which it shares) while we might read it. Every signal is blocked for the
 * clone (the caller does it): no handler of ours may run in the child; it resets them all. */
static pid_t fork_exec(const spec_t *s, napi_env env, napi_value forked, bool share_vm) {
  int p[2], go[2] = { -1, -1 };
  if (pipe2(p, O_CLOEXEC) != 0) return -(errno | S_PIPE << 16);
  if (forked && pipe2(go, O_CLOEXEC) != 0) { int e = errno; close(p[0]); close(p[1]); return -(e | S_PIPE << 16); }
  void *stack = MAP_FAILED;
  if (share_vm) stack = mmap(NULL, CLONE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  pid_t pid;
  clone_args_t a = { s, p[1], go[0], { p[0], go[1] } }; /* the child reads it: here until it is done */
  if (stack != MAP_FAILED) {
    pid = clone(clone_child, (char *)stack + CLONE_STACK, CLONE_VM | SIGCHLD, &a);
    /* Refused where the kernel is emulated (qemu-user takes CLONE_VM for threads only): fork. */
    if (pid < 0 && errno == EINVAL) { munmap(stack, CLONE_STACK); stack = MAP_FAILED; }
  }
  if (stack == MAP_FAILED) {
    pid = fork();
    if (pid == 0) { close(p[0]); if (go[1] >= 0) close(go[1]); exec_child(p[1], R_COMMAND_ERR, s, go[0]); }
  }
  int err = errno;
  close(p[1]);
  if (go[0] >= 0) close(go[0]);
  if (pid < 0) {
    close(p[0]); if (go[1] >= 0) close(go[1]);
    if (stack != MAP_FAILED) munmap(stack, CLONE_STACK);
    return -(err | S_FORK << 16);
  }
  int32_t r[2] = { 0, 0 }; ssize_t got;
  if (forked) {
    /* Its steps before exec first: a failure there is said without forked() (nothing ran). */
    do got = read(p[0], r, sizeof r); while (got < 0 && errno == EINTR);
    bool held = got == (ssize_t)sizeof r && r[0] == R_HELD;
    napi_value arg, self, ignored;
    bool told = held && napi_create_int32(env, pid, &arg) == napi_ok && napi_get_global(env, &self) == napi_ok
      && napi_call_function(env, self, forked, 1, &arg, &ignored) == napi_ok;
    if (told) { char b = 1; ssize_t w; do w = write(go[1], &b, 1); while (w < 0 && errno == EINTR); }
    close(go[1]); /* without its byte the child exits before exec */
    if (!held) {
      close(p[0]); int st; while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
      if (stack != MAP_FAILED) munmap(stack, CLONE_STACK);
      return got == (ssize_t)sizeof r ? -r[1] : -(EIO | S_FORK << 16);
    }
    if (!told) {
      close(p[0]); int st; while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
      if (stack != MAP_FAILED) munmap(stack, CLONE_STACK);
      return 0;
    }
  }
  do got = read(p[0], r, sizeof r); while (got < 0 && errno == EINTR);
  close(p[0]);
  if (got == (ssize_t)sizeof r) {
    int st; while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (stack != MAP_FAILED) munmap(stack, CLONE_STACK);
    return -r[1];
  }
  /* EOF: it exec'd (the pipe closes at exec, after the kernel has left our memory behind). */
  if (stack != MAP_FAILED) munmap(stack, CLONE_STACK);
  return pid;
}

/* How long the guard waits for the COMMAND after its TERM before it KILLs the group: the default
 * stop schedule's wait (TERM/10/KILL). */
#define GUARD_WAIT_MS 10000

/*
 * The COMMAND's guard through the supervisor's boot, in a child of the daemon forked before it
 * execs node. Node takes SIGTERM, SIGINT, SIGHUP… at their default action until the supervisor's
 * handlers are in place (it resets dispositions and the signal mask as it boots, so nothing set
 * here could hold them), and the COMMAND already runs: a `kill` of the supervisor then would leave
 * it unsupervised. The supervisor writes a byte on the guard pipe once its handlers are in place;
 * the guard then ends. If instead every write end closes first (the supervisor died; the launcher
 * closes its copy once it has handed over), the guard stops the COMMAND's process group as a stop
 * would: TERM and CONT, then KILL if its leader is still there after GUARD_WAIT_MS.
 * The leader is pinned by a pidfd while it is still our sibling, unreaped; its group id cannot be
 * given to another process while any member of the group lives. Never returns.
 */
static void guard_command(int fd, pid_t cmd) {
  reset_signal_state(); /* the launcher's handlers are no code of ours here: a signal ends the guard */
  int pidfd = (int)syscall(SYS_pidfd_open, cmd, 0);
  /* Nothing but the pipe and the pidfd: the lock, the log pipes, the report pipe are not ours. */
  if (dup2(fd, 0) < 0 || (pidfd >= 0 && dup2(pidfd, 1) < 0)) _exit(1);
  if (syscall(SYS_close_range, 2U, ~0U, 0) != 0) {
    struct rlimit rl; long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 65536;
    for (long i = 2; i < max; i++) close((int)i);
  }
  char b; ssize_t n;
  do n = read(0, &b, 1); while (n < 0 && errno == EINTR);
  if (n == 1 || pidfd < 0) _exit(0);
  kill(-cmd, SIGTERM);
  kill(-cmd, SIGCONT);
  struct pollfd p = { .fd = 1, .events = POLLIN, .revents = 0 };
  int rc; do rc = poll(&p, 1, GUARD_WAIT_MS); while (rc < 0 && errno == EINTR);
  kill(-cmd, SIGKILL);
  _exit(0);
}

static napi_value result(napi_env env, pid_t daemon, pid_t command) {
  napi_value out;
  CHECK(napi_create_object(env, &out));
  if (!set_int(env, out, "pid", daemon) || (command > 0 && !set_int(env, out, "commandPid", command))) return napi_failed(env, "spawnDaemon: result");
  return out;
}

napi_value spawn_daemon(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; napi_valuetype t2 = napi_undefined;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  spec_t d, c; bool has_cmd = false; const char *bad = NULL; int32_t guard = -1;
  memset(&d, 0, sizeof d); memset(&c, 0, sizeof c); /* before any return: free_spec is safe on both */
  if (argc > 1) CHECK(napi_typeof(env, argv[1], &t2));
  has_cmd = t2 == napi_object;
  napi_valuetype t3 = napi_undefined;
  if (argc > 2) CHECK(napi_typeof(env, argv[2], &t3));
  if (t3 != napi_undefined && get_fd(env, argv[2], &guard) != 0) return throw_type(env, "spawnDaemon(daemon, command?, guardFd?)");
  if (argc < 1 || (bad = read_spec(env, argv[0], &d))) { free_spec(&d); return throw_bad_spec(env, "spawnDaemon: bad daemon spec", argc < 1 ? NULL : bad); }
  if (has_cmd && (bad = read_spec(env, argv[1], &c))) { free_spec(&d); free_spec(&c); return throw_bad_spec(env, "spawnDaemon: bad command spec", bad); }

  int rep[2];
  if (pipe2(rep, O_CLOEXEC) != 0) { int e = errno; free_spec(&d); free_spec(&c); return throw_errno(env, e, "pipe2"); }
  sigset_t all, old; sigfillset(&all); pthread_sigmask(SIG_SETMASK, &all, &old); /* no Node handler may run in a child */
  pid_t mid = fork();
  if (mid == 0) {
    close(rep[0]);
    if (setsid() < 0) { record(rep[1], R_FORK_ERR, errno | S_SETSID << 16); _exit(1); }
    pid_t daemon = fork();
    if (daemon < 0) { record(rep[1], R_FORK_ERR, errno | S_FORK << 16); _exit(1); }
    if (daemon == 0) {
      pid_t cmd = 0;
      /* Before the COMMAND exists (and kept across exec): what it orphans comes to us, even a
       * double fork in its first milliseconds, while node still boots. */
      if (d.supervisor && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) { record(rep[1], R_DAEMON_ERR, errno | S_SUBREAPER << 16); _exit(127); }
      if (has_cmd) {
        cmd = fork_exec(&c, NULL, NULL, false);
        if (cmd < 0) { record(rep[1], R_COMMAND_ERR, -cmd); _exit(127); }
        record(rep[1], R_COMMAND_PID, cmd);
        /* No guard if it cannot be forked: the launcher's own checks remain (start.ts). */
        if (guard >= 0 && fork() == 0) guard_command(guard, cmd);
      }
      exec_child(rep[1], R_DAEMON_ERR, &d, -1);
    }
    record(rep[1], R_DAEMON_PID, daemon);
    _exit(0);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(rep[1]);
  free_spec(&d); free_spec(&c);
  if (mid < 0) { close(rep[0]); return throw_errno(env, fork_err, "fork"); }
  int st; while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
  pid_t daemon = 0, command = 0; int daemon_err = 0, command_err = 0, fork_fail = 0;
  for (;;) {
    int32_t r[2]; ssize_t got;
    do got = read(rep[0], r, sizeof r); while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof r) break;
    switch (r[0]) {
      case R_DAEMON_PID: daemon = r[1]; break;
      case R_COMMAND_PID: command = r[1]; break;
      case R_DAEMON_ERR: daemon_err = r[1]; break;
      case R_COMMAND_ERR: command_err = r[1]; break;
      case R_FORK_ERR: fork_fail = r[1]; break;
    }
  }
  close(rep[0]);
  if (fork_fail) return throw_child_error(env, fork_fail, "fork");
  if (command_err) return throw_child_error(env, command_err, "execve(command)");
  if (daemon_err) {
    if (command > 0) kill(command, SIGKILL); /* never leave the COMMAND without its supervisor */
    return throw_child_error(env, daemon_err, "execve");
  }
  if (daemon <= 0) return throw_errno(env, EIO, "spawnDaemon");
  return result(env, daemon, command);
}

napi_value spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; spec_t s; const char *bad = NULL; napi_valuetype t1 = napi_undefined;
  memset(&s, 0, sizeof s); /* before any return: free_spec is safe */
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 1) CHECK(napi_typeof(env, argv[1], &t1));
  if (t1 != napi_undefined && t1 != napi_function) return throw_type(env, "spawnProcess(spec, forked?)");
  if (argc < 1 || (bad = read_spec(env, argv[0], &s))) { free_spec(&s); return throw_bad_spec(env, "spawnProcess: bad spec", argc < 1 ? NULL : bad); }
  sigset_t all, old; sigfillset(&all); pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork_exec(&s, env, t1 == napi_function ? argv[1] : NULL, true);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free_spec(&s);
  if (pid == 0) return NULL; /* forked() threw: its exception is pending */
  if (pid < 0) return throw_child_error(env, -pid, "execve(command)");
  return js_int(env, pid);
}

/* waitChild(pid) -> null while it runs, else { code, signal } (one of them null), reaped. */
napi_value wait_child(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out, nul; int32_t pid;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &pid) || pid <= 0) return throw_type(env, "waitChild(pid)");
  siginfo_t si; memset(&si, 0, sizeof si);
  int rc; do rc = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG); while (rc < 0 && errno == EINTR);
  if (rc < 0) return throw_errno(env, errno, "waitid");
  if (si.si_pid == 0) return js_null(env);
  CHECK(napi_create_object(env, &out));
  CHECK(napi_get_null(env, &nul));
  bool exited = si.si_code == CLD_EXITED;
  if (!set_int(env, out, exited ? "code" : "signal", si.si_status)) return napi_failed(env, "waitChild: result");
  CHECK(napi_set_named_property(env, out, exited ? "signal" : "code", nul));
  return out;
}
