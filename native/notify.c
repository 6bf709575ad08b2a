/*
 * sd_notify's transport: AF_UNIX datagram sockets, which Node's dgram module does not offer.
 *   notifyListen(path)        -> { fd, wake }: a SOCK_DGRAM socket bound to path, with SO_PASSCRED
 *                                (the kernel attaches every sender's pid), and an eventfd `wake`
 *   notifyReceive(fd, wake)   -> Promise<datagrams | null>: poll() on both in the thread pool, then
 *                                (on the main thread) every queued datagram with its sender's
 *                                credentials, maybe none; null once
 *                                `wake` has been signalled (the listener is closing)
 *   notifyReceiveNow(fd)      -> the datagrams queued right now, without waiting
 *   notifyWake(wake)          -> make a pending (and every later) notifyReceive resolve null
 *   notifySend(address, text) -> sd_notify(3)'s send: "/path" or "@abstract" (leading NUL)
 */
#include "common.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NOTIFY_MAX_SIZE 4096  /* systemd's NOTIFY_BUFFER_MAX: longer datagrams arrive truncated */
#define NOTIFY_BATCH 16       /* datagrams per receive; a sender blocks at max_dgram_qlen anyway */
#define NOTIFY_MAX_FDS 16

/* "/path" or "@abstract" -> sockaddr_un. -1 with errno set when the address is unusable. */
static int notify_address(const char *text, size_t len, struct sockaddr_un *sa, socklen_t *salen) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (len < 2 || (text[0] != '/' && text[0] != '@') || memchr(text, '\0', len)) return (errno = EINVAL, -1);
  bool abstract = text[0] == '@';
  if (len + (abstract ? 0 : 1) > sizeof sa->sun_path) return (errno = ENAMETOOLONG, -1);
  memcpy(sa->sun_path, text, len);
  if (abstract) sa->sun_path[0] = '\0';
  *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
  return 0;
}

/* A JS string as a malloc'ed UTF-8 buffer, NUL bytes and all (a datagram's text may hold them;
 * an address may not: notify_address checks); *len excludes the NUL. NULL with errno EINVAL (not
 * a string) or ENOMEM. */
static char *get_string(napi_env env, napi_value v, size_t *len) {
  if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok) return (errno = EINVAL, NULL);
  char *s = malloc(*len + 1);
  if (!s) return (errno = ENOMEM, NULL);
  if (napi_get_value_string_utf8(env, v, s, *len + 1, len) != napi_ok) { free(s); return (errno = EINVAL, NULL); }
  return s;
}

napi_value notify_listen(napi_env env, napi_callback_info info) {
  size_t argc = 1, len; napi_value argv[1], out; struct sockaddr_un sa; socklen_t salen; int one = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = argc < 1 ? NULL : get_string(env, argv[0], &len);
  if (!path) return errno == ENOMEM ? throw_errno(env, ENOMEM, "notifyListen") : throw_type(env, "notifyListen(path)");
  int rc = notify_address(path, len, &sa, &salen);
  free(path);
  if (rc != 0) return throw_errno(env, errno, "notifyListen: address");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_UNIX, SOCK_DGRAM)");
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) { int e = errno; close(fd); return throw_errno(env, e, "setsockopt(SO_PASSCRED)"); }
  if (bind(fd, (struct sockaddr *)&sa, salen) != 0) { int e = errno; close(fd); return throw_errno(env, e, "bind"); }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) { int e = errno; close(fd); return throw_errno(env, e, "eventfd"); }
  if (napi_create_object(env, &out) != napi_ok || !set_int(env, out, "fd", fd) || !set_int(env, out, "wake", wake)) {
    close(fd); close(wake);
    return napi_failed(env, "notifyListen: result");
  }
  return out;
}

typedef struct { int32_t pid; uint32_t uid, gid; size_t len; bool truncated; char data[NOTIFY_MAX_SIZE]; } datagram;
typedef struct { napi_async_work work; napi_deferred deferred; int fd, wake, err, n; bool woken; datagram msgs[NOTIFY_BATCH]; } recv_req;

/* Read up to `max` queued datagrams without waiting, with their senders' credentials. */
static int drain_queue(int fd, datagram *msgs, int max, int *err) {
  int n = 0;
  while (n < max) {
    datagram *d = &msgs[n];
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_MAX_FDS)]; } ctl;
    struct iovec iov = { .iov_base = d->data, .iov_len = sizeof d->data };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    ssize_t got = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && n == 0) *err = errno;
      break;
    }
    d->pid = 0; d->uid = d->gid = UINT32_MAX;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
        struct ucred u; memcpy(&u, CMSG_DATA(c), sizeof u);
        d->pid = u.pid; d->uid = u.uid; d->gid = u.gid;
      } else if (c->cmsg_type == SCM_RIGHTS) { /* fds sent along (FDSTORE=1) are not kept */
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) { int x; memcpy(&x, CMSG_DATA(c) + i * sizeof x, sizeof x); close(x); }
      }
    }
    d->len = (size_t)got;
    d->truncated = (m.msg_flags & MSG_TRUNC) != 0;
    n++;
  }
  return n;
}

/* In the thread pool: sleep in poll() until a datagram or the wake-up comes. The queue is drained
 * back on the main thread (recv_complete): taken here, a READY=1 would be in neither the socket
 * nor JavaScript's hands while the COMMAND's exit is handled, and notifyReceiveNow would miss it. */
static void recv_execute(napi_env env, void *data) {
  (void)env; recv_req *r = data; int rc;
  struct pollfd p[2] = { { .fd = r->fd, .events = POLLIN }, { .fd = r->wake, .events = POLLIN } };
  do rc = poll(p, 2, -1); while (rc < 0 && errno == EINTR);
  if (rc < 0) { r->err = errno; return; }
  if (p[1].revents) r->woken = true;
}

static napi_value datagrams_to_js(napi_env env, const datagram *msgs, int n) {
  napi_value out, item, v;
  /* NULL with an exception pending when a value cannot be made */
  CHECK(napi_create_array_with_length(env, (size_t)n, &out));
  for (int i = 0; i < n; i++) {
    const datagram *d = &msgs[i];
    CHECK(napi_create_object(env, &item));
    if (!set_int(env, item, "pid", d->pid) || !set_uint(env, item, "uid", d->uid) || !set_uint(env, item, "gid", d->gid)) return napi_failed(env, "notify: datagram");
    CHECK(napi_create_buffer_copy(env, d->len, d->data, NULL, &v)); CHECK(napi_set_named_property(env, item, "data", v));
    CHECK(napi_get_boolean(env, d->truncated, &v)); CHECK(napi_set_named_property(env, item, "truncated", v));
    CHECK(napi_set_element(env, out, (uint32_t)i, item));
  }
  return out;
}

static void recv_complete(napi_env env, napi_status status, void *data) {
  recv_req *r = data;
  /* may be none: notifyReceiveNow took them */
  if (status == napi_ok && r->err == 0 && !r->woken) r->n = drain_queue(r->fd, r->msgs, NOTIFY_BATCH, &r->err);
  if (status != napi_ok || r->err != 0) settle(env, r->deferred, true, errno_error(env, r->err ? r->err : ECANCELED, "notifyReceive"));
  else settle(env, r->deferred, false, r->woken ? js_null(env) : datagrams_to_js(env, r->msgs, r->n));
  (void)napi_delete_async_work(env, r->work); /* fails only for a bad handle */
  free(r);
}

napi_value notify_receive(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], promise, name; int32_t fd, wake;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_fd(env, argv[0], &fd) || get_fd(env, argv[1], &wake)) return throw_type(env, "notifyReceive(fd, wake)");
  recv_req *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "notifyReceive");
  r->fd = fd; r->wake = wake;
  CHECK_OR(napi_create_promise(env, &r->deferred, &promise), fail);
  CHECK_OR(napi_create_string_utf8(env, "daemonkit.notifyReceive", NAPI_AUTO_LENGTH, &name), fail);
  CHECK_OR(napi_create_async_work(env, NULL, name, recv_execute, recv_complete, r, &r->work), fail);
  if (napi_queue_async_work(env, r->work) != napi_ok) { napi_delete_async_work(env, r->work); napi_failed(env, "napi_queue_async_work"); goto fail; }
  return promise;
fail:
  free(r); /* a promise made is never settled: nobody has it, as this call throws */
  return NULL;
}

napi_value notify_wake(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t wake; uint64_t one = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &wake)) return throw_type(env, "notifyWake(wake)");
  if (write(wake, &one, sizeof one) < 0 && errno != EAGAIN) return throw_errno(env, errno, "write(eventfd)");
  return NULL;
}

/* notifySend(address, text): one datagram, from a fresh unbound socket, as sd_notify(3) sends it.
 * It blocks (like sd_notify) only if the receiver's queue is full. */
napi_value notify_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, alen, mlen; napi_value argv[2]; struct sockaddr_un sa; socklen_t salen;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *address = argc < 2 ? NULL : get_string(env, argv[0], &alen);
  char *text = address ? get_string(env, argv[1], &mlen) : NULL;
  if (!text) { int e = errno; free(address); return e == ENOMEM ? throw_errno(env, e, "notifySend") : throw_type(env, "notifySend(address, text)"); }
  int rc = notify_address(address, alen, &sa, &salen), err = errno;
  free(address);
  if (rc != 0) { free(text); return throw_errno(env, err, "notifySend: address"); }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { err = errno; free(text); return throw_errno(env, err, "socket(AF_UNIX, SOCK_DGRAM)"); }
  ssize_t n;
  do n = sendto(fd, text, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen); while (n < 0 && errno == EINTR);
  err = errno;
  close(fd);
  free(text);
  if (n < 0) return throw_errno(env, err, "sendto");
  return NULL;
}

/* notifyReceiveNow(fd) -> the datagrams queued right now (none: []), without waiting. For a
 * supervisor that must know whether a COMMAND said READY=1 before it exited. */
napi_value notify_receive_now(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd; int err = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return throw_type(env, "notifyReceiveNow(fd)");
  datagram *msgs = malloc(sizeof(datagram) * NOTIFY_BATCH);
  if (!msgs) return throw_errno(env, ENOMEM, "notifyReceiveNow");
  int n = drain_queue(fd, msgs, NOTIFY_BATCH, &err);
  napi_value out = err ? throw_errno(env, err, "recvmsg") : datagrams_to_js(env, msgs, n);
  free(msgs);
  return out;
}
