/*
 * The log relay (src/logs/relay.ts): the COMMAND's output pipes carried into one log file on a
 * thread of its own, so the bytes never pass through JavaScript. Per pipe: large reads, cut at
 * the last newline, the unfinished line carried (a line longer than MAX_LINE is cut, as the JS
 * pump did); whole lines only are written, under one mutex, so stdout and stderr sharing the file
 * never mix inside a line. Memory is bounded: a buffer per pipe, and what waits while the file
 * cannot take it (we then read no more: the COMMAND blocks on its full pipe).
 *
 * The file is the caller's (opened through the log directory's fd, log-dir.ts): we only write to
 * the fd we are given. When it is full (--log-max-size) or a write fails, the thread stops and
 * tells JavaScript (a threadsafe function); the rotation or the retry is done there, with the
 * policy, and relayResume() hands the next fd back. Every call below also works on the main
 * thread (the supervisor's drain at a COMMAND's exit, its event lines, the close), under the
 * same mutex, returning the same statuses for the caller to act on at once.
 *
 *   relayOpen(pipes, keepTail, timestamps, onWait) -> handle   (pipes: [fd | -1, fd | -1])
 *   relayResume(h, fd, size, limit, retryAtMs) -> status         (a file to write, -1 limit: none)
 *   relaySuspend(h)                     the thread writes no more until the next resume
 *   relayDrain(h, stream, mode) -> status    read what waits now (a pipe's worth), end the line
 *   relayInject(h, stream, line) -> status     a line of the supervisor's among the COMMAND's
 *   relayStatus(h) -> [status, errno]
 *   relayTail(h, stream) -> [Buffer, cut]      the stream's last bytes (keepTail)
 *   relayStop(h) / relayLost(h) / relayFree(h)
 * Status: 0 writing, 1 the file is full (rotate, then resume), 2 a write failed (errno),
 * 3 suspended, 4 the file is busy (EAGAIN: the thread waits for it to be writable).
 */
#include "common.h"
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>

#define MAX_LINE (64 * 1024)       /* as pump.ts MAX_LINE */
#define READ_SIZE (256 * 1024)     /* as pump.ts READ_SIZE: what the log pipe holds */
#define TAIL_BYTES 16384
#define DRAIN_READS 4
#define STAMP_LEN 25               /* "2026-11-25T19:10:26.603Z " */
#define STAMP_SIZE (READ_SIZE + MAX_LINE + 64)

enum { OK = 0, FULL = 1, FAILED = 2, HELD = 3, BUSY = 4 };

typedef struct {
  int fd;              /* the pipe's read end, -1: none */
  bool closed;         /* read no more */
  char *buf;           /* [carried line | read area], made at the first read */
  size_t carry;
  bool keep_tail, tail_cut;
  char *tail; size_t tail_len;
} stream_t;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread; bool running, stopping;
  int wake;                     /* eventfd: ends the thread's poll */
  stream_t s[2];
  int log_fd; int64_t size, limit; double retry_at;
  bool timestamps; char *stamp;
  char *pend; size_t pend_len, pend_cap;   /* output the file has not taken yet */
  int wait; int err;            /* status; errno of a failed write */
  bool told;                    /* JavaScript was told of this wait */
  napi_threadsafe_function tsfn;
  bool freed;
  int refs;                     /* the JS handle's and the threadsafe function's (see unref) */
} relay_t;

static double now_ms(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- writing the file: whole lines up to the size limit ---------------------------------- */

/* Write `len` bytes of whole lines; returns how many were written, *status why not all. With a
 * limit, the file is filled with whole lines up to it; a line that does not fit starts the next
 * file; one line longer than the limit is kept whole in a file of its own (as LogFile.write). */
static size_t write_file(relay_t *r, const char *data, size_t len, int *status) {
  size_t done = 0; *status = OK;
  if (r->log_fd < 0) { *status = FAILED; r->err = EBADF; return 0; }
  bool lim = r->limit >= 0 && now_ms() >= r->retry_at;
  if (lim) { struct stat st; if (fstat(r->log_fd, &st) == 0) r->size = st.st_size; } /* copytruncate */
  while (done < len) {
    const char *chunk = data + done; size_t n = len - done;
    if (lim && r->size >= r->limit) { *status = FULL; return done; }
    if (lim && r->size + (int64_t)n > r->limit) {
      size_t room = (size_t)(r->limit - r->size);
      const char *cut = memrchr(chunk, '\n', room);
      if (cut) n = (size_t)(cut - chunk) + 1;
      else if (r->size > 0) { *status = FULL; return done; }
      else { const char *end = memchr(chunk + room, '\n', n - room); if (end) n = (size_t)(end - chunk) + 1; }
    }
    size_t off = 0;
    while (off < n) {
      ssize_t w = write(r->log_fd, chunk + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        done += off; r->size += (int64_t)off;
        if (errno == EAGAIN) *status = BUSY; else { *status = FAILED; r->err = errno; }
        return done;
      }
      off += (size_t)w;
    }
    done += n; r->size += (int64_t)n;
    if (lim && r->size >= r->limit) { *status = FULL; return done; } /* full: rotated now, as LogFile.write */
  }
  return done;
}

static void keep_pending(relay_t *r, const char *data, size_t len) {
  if (r->pend_len + len > r->pend_cap) {
    size_t cap = r->pend_cap ? r->pend_cap : 4096; /* grown as output waits: a start's line needs a page */
    while (cap < r->pend_len + len) cap *= 2;
    char *p = realloc(r->pend, cap);
    if (!p) return; /* cannot happen in practice; the bytes would be counted lost by no one */
    r->pend = p; r->pend_cap = cap;
  }
  memcpy(r->pend + r->pend_len, data, len);
  r->pend_len += len;
}

/* Output of whole lines: written now, or kept behind what already waits. */
static int out(relay_t *r, const char *data, size_t len) {
  if (r->wait != OK || r->pend_len > 0) { keep_pending(r, data, len); return r->wait; }
  int status; size_t w = write_file(r, data, len, &status);
  if (w < len) keep_pending(r, data + w, len - w);
  r->wait = status; r->told = false;
  return status;
}

static int flush_pending(relay_t *r) {
  if (r->pend_len == 0) return OK;
  int status; size_t w = write_file(r, r->pend, r->pend_len, &status);
  memmove(r->pend, r->pend + w, r->pend_len - w);
  r->pend_len -= w;
  if (r->pend_len == 0 && r->pend_cap > 4 * READ_SIZE) { free(r->pend); r->pend = NULL; r->pend_cap = 0; } /* flat again */
  r->wait = status; r->told = false;
  return status;
}

/* ---- lines ----------------------------------------------------------------------------------- */

static void keep_tail(stream_t *s, const char *data, size_t len) {
  if (!s->tail && !(s->tail = malloc(TAIL_BYTES))) return;
  if (len >= TAIL_BYTES) {
    if (len > TAIL_BYTES) s->tail_cut = true; /* else it begins with a whole line (as pump.ts) */
    memcpy(s->tail, data + len - TAIL_BYTES, TAIL_BYTES); s->tail_len = TAIL_BYTES;
    return;
  }
  if (s->tail_len + len > TAIL_BYTES) {
    size_t drop = s->tail_len + len - TAIL_BYTES;
    memmove(s->tail, s->tail + drop, s->tail_len - drop); s->tail_len -= drop; s->tail_cut = true;
  }
  memcpy(s->tail + s->tail_len, data, len); s->tail_len += len;
}

static void stamp_now(char *p) {
  struct timespec ts; struct tm tm; clock_gettime(CLOCK_REALTIME, &ts); gmtime_r(&ts.tv_sec, &tm);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
  memcpy(p, tmp, STAMP_LEN);
}

/* Whole lines (`len` > 0, ending with a newline): to the tail (the COMMAND's only), stamped if
 * asked, out. */
static int emit(relay_t *r, stream_t *s, const char *data, size_t len, bool command) {
  if (command && s->keep_tail) keep_tail(s, data, len);
  if (!r->timestamps) return out(r, data, len);
  if (!r->stamp && !(r->stamp = malloc(STAMP_SIZE))) return out(r, data, len);
  char prefix[STAMP_LEN]; stamp_now(prefix);
  const char *p = data, *end = data + len; size_t used = 0; int status = OK;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t line = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    if (used + STAMP_LEN + line > STAMP_SIZE) {
      if (used) { status = out(r, r->stamp, used); used = 0; }
      if (STAMP_LEN + line > STAMP_SIZE) { /* one line longer than the buffer: on its own */
        status = out(r, prefix, STAMP_LEN); status = out(r, p, line); p += line; continue;
      }
    }
    memcpy(r->stamp + used, prefix, STAMP_LEN); memcpy(r->stamp + used + STAMP_LEN, p, line);
    used += STAMP_LEN + line; p += line;
  }
  if (used) status = out(r, r->stamp, used);
  return status;
}

/* `n` new bytes read after the carried ones: out with the whole lines, carry the rest. */
static int ingest(relay_t *r, stream_t *s, size_t n) {
  char *buf = s->buf, *area = buf + MAX_LINE;
  size_t start = MAX_LINE - s->carry, end = MAX_LINE + n;
  const char *nl = memrchr(area, '\n', n); /* the carried bytes hold none */
  size_t rest = nl ? (size_t)(nl - buf) + 1 : start;
  int status = OK;
  if (nl) status = emit(r, s, buf + start, rest - start, true);
  size_t left = end - rest;
  if (left >= MAX_LINE) { /* too long: cut here (the buffer has a byte to spare for the newline) */
    s->carry = 0; buf[end] = '\n';
    status = emit(r, s, buf + rest, left + 1, true);
  } else {
    memmove(buf + MAX_LINE - left, buf + rest, left);
    s->carry = left;
  }
  return status;
}

static int end_line(relay_t *r, stream_t *s) {
  if (s->carry == 0) return r->wait;
  char *line = s->buf + MAX_LINE - s->carry; size_t len = s->carry + 1;
  s->buf[MAX_LINE] = '\n'; s->carry = 0;
  return emit(r, s, line, len, true);
}

/* One read of the pipe: >0 bytes taken, 0 nothing there (or the end), <0 no buffer. The buffer
 * is made once there is something to read: a drain at the service's start finds nothing, and a
 * buffer per pipe made then (mmapped: a resident page each) cost a shared supervisor that much
 * per service that writes nothing. */
static ssize_t read_stream(relay_t *r, stream_t *s, int *status) {
  if (!s->buf) {
    struct pollfd p = { s->fd, POLLIN, 0 };
    int k; do k = poll(&p, 1, 0); while (k < 0 && errno == EINTR);
    if (k == 0) return 0;
    if (k > 0 && !(p.revents & POLLIN)) { if (p.revents & (POLLHUP | POLLERR)) s->closed = true; return 0; } /* the end */
    if (!(s->buf = malloc(MAX_LINE + READ_SIZE + 1))) return -1;
  }
  ssize_t n;
  do n = read(s->fd, s->buf + MAX_LINE, READ_SIZE); while (n < 0 && errno == EINTR);
  if (n <= 0) { if (n == 0) s->closed = true; return 0; } /* 0: every writer gone (ours stay: never) */
  *status = ingest(r, s, (size_t)n);
  return n;
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void tell(relay_t *r) {
  if (r->told || (r->wait != FULL && r->wait != FAILED)) return;
  r->told = true;
  napi_call_threadsafe_function(r->tsfn, NULL, napi_tsfn_nonblocking);
}

static void *relay_thread(void *arg) {
  relay_t *r = arg;
  sigset_t all; sigfillset(&all); pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are node's */
  pthread_mutex_lock(&r->mu);
  while (!r->stopping) {
    if (r->wait == BUSY) { /* a file that cannot take more now (a terminal): wait until it can */
      struct pollfd p[2] = { { r->log_fd, POLLOUT, 0 }, { r->wake, POLLIN, 0 } };
      pthread_mutex_unlock(&r->mu);
      poll(p, 2, 1000);
      pthread_mutex_lock(&r->mu);
      if (r->wait == BUSY) { r->wait = OK; flush_pending(r); tell(r); }
      continue;
    }
    if (r->wait != OK) { tell(r); pthread_cond_wait(&r->cv, &r->mu); continue; }
    struct pollfd p[3]; int map[3], np = 0;
    for (int i = 0; i < 2; i++) if (r->s[i].fd >= 0 && !r->s[i].closed) { p[np] = (struct pollfd){ r->s[i].fd, POLLIN, 0 }; map[np++] = i; }
    p[np] = (struct pollfd){ r->wake, POLLIN, 0 }; map[np++] = -1;
    pthread_mutex_unlock(&r->mu);
    int ready = poll(p, (nfds_t)np, -1);
    pthread_mutex_lock(&r->mu);
    if (ready <= 0 || r->stopping) continue;
    if (p[np - 1].revents) { uint64_t v; (void)!read(r->wake, &v, sizeof v); }
    for (int k = 0; k < np - 1 && r->wait == OK; k++) {
      stream_t *s = &r->s[map[k]];
      if (!p[k].revents || s->closed) continue;
      int status = OK;
      if (read_stream(r, s, &status) == 0 && (p[k].revents & (POLLHUP | POLLERR)) && !(p[k].revents & POLLIN)) s->closed = true;
    }
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)context; (void)data;
  if (!env || !cb) return;
  napi_value undefined; napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, cb, 0, NULL, NULL);
}

static void wake_thread(relay_t *r) {
  uint64_t one = 1; (void)!write(r->wake, &one, sizeof one);
  pthread_cond_signal(&r->cv);
}

static void stop_thread(relay_t *r) {
  if (!r->running) return;
  pthread_mutex_lock(&r->mu); r->stopping = true; wake_thread(r); pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  r->running = false;
}

static void free_relay(relay_t *r) {
  if (r->freed) return;
  stop_thread(r);
  r->freed = true;
  for (int i = 0; i < 2; i++) {
    if (r->s[i].fd >= 0) close(r->s[i].fd);
    r->s[i].fd = -1;
    free(r->s[i].buf); free(r->s[i].tail); r->s[i].buf = r->s[i].tail = NULL;
  }
  free(r->pend); free(r->stamp); r->pend = r->stamp = NULL; r->pend_len = r->pend_cap = 0;
  if (r->wake >= 0) close(r->wake);
  r->wake = -1;
  if (r->tsfn) { napi_release_threadsafe_function(r->tsfn, napi_tsfn_release); r->tsfn = NULL; }
}

/* The relay is freed once both its JS handle and its threadsafe function are finalized, in
 * whichever order node does it (at an exit without relayFree, the function may go first). */
static void unref(relay_t *r) {
  if (--r->refs > 0) return;
  pthread_mutex_destroy(&r->mu); pthread_cond_destroy(&r->cv);
  free(r);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  relay_t *r = data;
  free_relay(r);
  unref(r);
}

/* The threadsafe function is gone (released, or node's environment torn down): the thread must
 * not call it any more. */
static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  relay_t *r = data;
  stop_thread(r);
  r->tsfn = NULL;
  unref(r);
}

/* ---- N-API ----------------------------------------------------------------------------------- */

static relay_t *get_relay(napi_env env, napi_value v) {
  relay_t *r = NULL;
  if (napi_get_value_external(env, v, (void **)&r) != napi_ok || !r || r->freed) return NULL;
  return r;
}

static napi_value status_value(napi_env env, int status) {
  napi_value out; napi_create_int32(env, status, &out); return out;
}

static napi_value relay_open(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4], out, name; uint32_t len = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool ts = false; napi_valuetype cbt = napi_undefined;
  if (argc < 4 || napi_get_array_length(env, argv[0], &len) != napi_ok || len != 2 || napi_get_value_bool(env, argv[2], &ts) != napi_ok ||
      napi_typeof(env, argv[3], &cbt) != napi_ok || cbt != napi_function)
    return (napi_throw_type_error(env, NULL, "relayOpen([fd, fd], [tail, tail], timestamps, onWait)"), NULL);
  relay_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "relayOpen");
  pthread_mutex_init(&r->mu, NULL); pthread_cond_init(&r->cv, NULL);
  r->refs = 1; r->log_fd = -1; r->limit = -1; r->timestamps = ts; r->wait = HELD; r->wake = -1;
  for (int i = 0; i < 2; i++) {
    napi_value v; int32_t fd = -1; bool tail = false;
    napi_get_element(env, argv[0], (uint32_t)i, &v); get_int(env, v, &fd);
    napi_get_element(env, argv[1], (uint32_t)i, &v); napi_get_value_bool(env, v, &tail);
    r->s[i].fd = fd; r->s[i].keep_tail = tail;
    /* Our read end only (its own open file description): the COMMAND's end stays blocking. */
    if (fd >= 0) (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  napi_create_string_utf8(env, "daemonkit log relay", NAPI_AUTO_LENGTH, &name);
  if (r->wake < 0 || napi_create_threadsafe_function(env, argv[3], NULL, name, 0, 1, r, tsfn_finalize, NULL, call_js, &r->tsfn) != napi_ok) {
    int e = r->wake < 0 ? errno : EINVAL; r->tsfn = NULL; finalize(env, r, NULL); return throw_errno(env, e, "relayOpen");
  }
  r->refs = 2;
  napi_unref_threadsafe_function(env, r->tsfn); /* the COMMAND's pidfd keeps us alive, not its pipes */
  int e = pthread_create(&r->thread, NULL, relay_thread, r);
  if (e != 0) { finalize(env, r, NULL); return throw_errno(env, e, "pthread_create"); } /* the function's finalizer frees r */
  r->running = true;
  if (napi_create_external(env, r, finalize, NULL, &out) != napi_ok) return NULL;
  return out;
}

#define ARGS(n, usage) \
  size_t argc = n; napi_value argv[n]; \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL)); \
  relay_t *r = argc >= n ? get_relay(env, argv[0]) : NULL; \
  if (!r) return (napi_throw_type_error(env, NULL, usage), NULL);

static napi_value relay_resume(napi_env env, napi_callback_info info) {
  ARGS(5, "relayResume(relay, fd, size, limit, retryAt)");
  int32_t fd; double size, limit, retry_at;
  if (get_int(env, argv[1], &fd) || napi_get_value_double(env, argv[2], &size) != napi_ok ||
      napi_get_value_double(env, argv[3], &limit) != napi_ok || napi_get_value_double(env, argv[4], &retry_at) != napi_ok)
    return (napi_throw_type_error(env, NULL, "relayResume(relay, fd, size, limit, retryAt)"), NULL);
  pthread_mutex_lock(&r->mu);
  r->log_fd = fd; r->size = (int64_t)size; r->limit = (int64_t)limit; r->retry_at = retry_at;
  r->wait = OK;
  int status = flush_pending(r);
  r->told = true; /* the caller acts on this status itself */
  if (status == OK || status == BUSY) wake_thread(r);
  pthread_mutex_unlock(&r->mu);
  return status_value(env, status);
}

static napi_value relay_suspend(napi_env env, napi_callback_info info) {
  ARGS(1, "relaySuspend(relay)");
  pthread_mutex_lock(&r->mu);
  if (r->wait == OK || r->wait == BUSY) r->wait = HELD;
  r->told = true;
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static int get_stream(napi_env env, napi_value v, relay_t *r, stream_t **s) {
  int32_t i;
  if (get_int(env, v, &i) || i < 0 || i > 1 || r->s[i].fd < 0) return -1;
  *s = &r->s[i];
  return 0;
}

/* mode 0: read what waits; 1: then end the unfinished line (its writer is gone); 2: only end it. */
static napi_value relay_drain(napi_env env, napi_callback_info info) {
  ARGS(3, "relayDrain(relay, stream, mode)");
  stream_t *s; int32_t mode;
  if (get_stream(env, argv[1], r, &s) || get_int(env, argv[2], &mode) || mode < 0 || mode > 2)
    return (napi_throw_type_error(env, NULL, "relayDrain(relay, stream, mode)"), NULL);
  pthread_mutex_lock(&r->mu);
  int status = r->wait;
  /* Bounded: what an exited COMMAND left is at most a pipe's worth; someone it left behind may
   * keep writing, and that is the thread's to read, not a loop's. */
  for (int reads = 0; mode < 2 && reads < DRAIN_READS && status == OK && !s->closed; reads++) {
    int st = OK;
    ssize_t n = read_stream(r, s, &st);
    status = st;
    if (n < READ_SIZE) break;
  }
  if (status == OK && mode > 0) status = end_line(r, s);
  r->told = true;
  pthread_mutex_unlock(&r->mu);
  return status_value(env, status);
}

static napi_value relay_inject(napi_env env, napi_callback_info info) {
  ARGS(3, "relayInject(relay, stream, line)");
  stream_t *s; void *data; size_t len;
  if (get_stream(env, argv[1], r, &s) || napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok)
    return (napi_throw_type_error(env, NULL, "relayInject(relay, stream, line)"), NULL);
  pthread_mutex_lock(&r->mu);
  int status = len > 0 ? emit(r, s, data, len, false) : r->wait;
  r->told = true;
  pthread_mutex_unlock(&r->mu);
  return status_value(env, status);
}

/* The stream was closed by its owner: read no more of it (what it holds: drain first). */
static napi_value relay_end_stream(napi_env env, napi_callback_info info) {
  ARGS(2, "relayEndStream(relay, stream)");
  stream_t *s;
  if (get_stream(env, argv[1], r, &s)) return (napi_throw_type_error(env, NULL, "relayEndStream(relay, stream)"), NULL);
  pthread_mutex_lock(&r->mu); s->closed = true; wake_thread(r); pthread_mutex_unlock(&r->mu);
  return NULL;
}

static napi_value relay_status(napi_env env, napi_callback_info info) {
  ARGS(1, "relayStatus(relay)");
  napi_value out, v;
  pthread_mutex_lock(&r->mu);
  int wait = r->wait, err = r->err;
  pthread_mutex_unlock(&r->mu);
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, wait, &v); napi_set_element(env, out, 0, v);
  napi_create_int32(env, err, &v); napi_set_element(env, out, 1, v);
  return out;
}

static napi_value relay_tail(napi_env env, napi_callback_info info) {
  ARGS(2, "relayTail(relay, stream)");
  stream_t *s; napi_value out, buf, cut; void *data;
  if (get_stream(env, argv[1], r, &s)) return (napi_throw_type_error(env, NULL, "relayTail(relay, stream)"), NULL);
  pthread_mutex_lock(&r->mu);
  napi_create_buffer_copy(env, s->tail_len, s->tail_len ? s->tail : "", &data, &buf);
  napi_get_boolean(env, s->tail_cut, &cut);
  pthread_mutex_unlock(&r->mu);
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, buf); napi_set_element(env, out, 1, cut);
  return out;
}

static napi_value relay_stop(napi_env env, napi_callback_info info) {
  ARGS(1, "relayStop(relay)");
  stop_thread(r);
  return NULL;
}

/* Bytes that could not be written: what waits, the unfinished lines, and what is still in the
 * pipes (only while something waits: else the pipes are simply the next COMMAND's). */
static napi_value relay_lost(napi_env env, napi_callback_info info) {
  ARGS(1, "relayLost(relay)");
  pthread_mutex_lock(&r->mu);
  double lost = 0;
  if (r->pend_len > 0) {
    lost = (double)r->pend_len;
    for (int i = 0; i < 2; i++) {
      int n = 0;
      if (r->s[i].fd < 0) continue;
      lost += (double)r->s[i].carry;
      if (ioctl(r->s[i].fd, FIONREAD, &n) == 0) lost += n;
    }
  }
  pthread_mutex_unlock(&r->mu);
  napi_value out; napi_create_double(env, lost, &out);
  return out;
}

static napi_value relay_free(napi_env env, napi_callback_info info) {
  ARGS(1, "relayFree(relay)");
  free_relay(r);
  return NULL;
}

void relay_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "relayOpen", NULL, relay_open, NULL, NULL, NULL, napi_default, NULL },
    { "relayResume", NULL, relay_resume, NULL, NULL, NULL, napi_default, NULL },
    { "relaySuspend", NULL, relay_suspend, NULL, NULL, NULL, napi_default, NULL },
    { "relayDrain", NULL, relay_drain, NULL, NULL, NULL, napi_default, NULL },
    { "relayInject", NULL, relay_inject, NULL, NULL, NULL, napi_default, NULL },
    { "relayEndStream", NULL, relay_end_stream, NULL, NULL, NULL, napi_default, NULL },
    { "relayStatus", NULL, relay_status, NULL, NULL, NULL, napi_default, NULL },
    { "relayTail", NULL, relay_tail, NULL, NULL, NULL, napi_default, NULL },
    { "relayStop", NULL, relay_stop, NULL, NULL, NULL, napi_default, NULL },
    { "relayLost", NULL, relay_lost, NULL, NULL, NULL, napi_default, NULL },
    { "relayFree", NULL, relay_free, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
