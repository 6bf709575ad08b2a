/*
 * --listen: the listening sockets the supervisor holds for the service's life (src/listen/).
 *   listenSocket({ kind: 'tcp', host, port } | { kind: 'unix', path }) -> fd
 *       a bound, listening SOCK_STREAM socket (close-on-exec; the COMMAND gets it by dup2), with
 *       systemd's defaults for ListenStream=: SO_REUSEADDR, backlog SOMAXCONN; no host: [::] taking
 *       IPv4 too (0.0.0.0 where IPv6 is off). A unix socket is made with umask 0177, so nobody
 *       but us can connect before the caller sets its mode and owner.
 *   listen_pid_fill(envp)  in a forked child before exec: LISTEN_PID=<its own pid> over the
 *       slot the spec carries (sd_listen_fds(3) checks it against getpid()). Async-signal-safe.
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define LISTEN_PID_SLOT "LISTEN_PID=@@@@@@@@@@"

void listen_pid_fill(char **envp) {
  for (char **e = envp; e && *e; e++) {
    if (strcmp(*e, LISTEN_PID_SLOT) != 0) continue;
    char digits[16]; int n = 0; unsigned long pid = (unsigned long)getpid();
    do digits[n++] = (char)('0' + pid % 10); while ((pid /= 10) && n < 15);
    char *p = *e + sizeof "LISTEN_PID=" - 1; /* the slot has 10 places: pids have at most 7 digits */
    while (n > 0) *p++ = digits[--n];
    *p = '\0';
    return;
  }
}

static int prop_string(napi_env env, napi_value obj, const char *key, char *buf, size_t size) {
  napi_value v; size_t len; napi_valuetype t;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t != napi_string) return 1; /* absent */
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= size) return -1;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok ? 0 : -1;
}

/* A socket of `family`, bound to `sa` and listening; -errno on failure (the socket closed). */
static int bind_listen(int family, const struct sockaddr *sa, socklen_t len, int v6only, const char **step) {
  int one = 1;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return (*step = "socket", -errno);
  if (family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) { *step = "setsockopt"; goto fail; }
  if (family == AF_INET6 && v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) { *step = "setsockopt"; goto fail; }
  mode_t old = family == AF_UNIX ? umask(0177) : 0;
  int rc = bind(fd, sa, len);
  int err = errno;
  if (family == AF_UNIX) umask(old);
  if (rc != 0) { errno = err; *step = "bind"; goto fail; }
  if (listen(fd, SOMAXCONN) != 0) { *step = "listen"; goto fail; }
  return fd;
fail:
  err = errno;
  close(fd);
  return -err;
}

napi_value listen_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; char kind[8], host[64], path[sizeof ((struct sockaddr_un *)0)->sun_path];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || prop_string(env, argv[0], "kind", kind, sizeof kind) != 0) return (napi_throw_type_error(env, NULL, "listenSocket(addr)"), NULL);
  const char *step = "bind"; int fd;
  if (!strcmp(kind, "unix")) {
    struct sockaddr_un sa; memset(&sa, 0, sizeof sa); sa.sun_family = AF_UNIX;
    if (prop_string(env, argv[0], "path", path, sizeof path) != 0 || path[0] != '/') return (napi_throw_type_error(env, NULL, "listenSocket: bad path"), NULL);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = bind_listen(AF_UNIX, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1), -1, &step);
  } else if (!strcmp(kind, "tcp")) {
    napi_value v; int32_t port;
    if (napi_get_named_property(env, argv[0], "port", &v) != napi_ok || get_int(env, v, &port) || port < 1 || port > 65535) return (napi_throw_type_error(env, NULL, "listenSocket: bad port"), NULL);
    int has_host = prop_string(env, argv[0], "host", host, sizeof host);
    if (has_host < 0) return (napi_throw_type_error(env, NULL, "listenSocket: bad host"), NULL);
    struct sockaddr_in a4; struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4); memset(&a6, 0, sizeof a6);
    a4.sin_family = AF_INET; a4.sin_port = htons((uint16_t)port);
    a6.sin6_family = AF_INET6; a6.sin6_port = htons((uint16_t)port);
    if (has_host == 1) {
      a6.sin6_addr = in6addr_any;
      fd = bind_listen(AF_INET6, (struct sockaddr *)&a6, sizeof a6, 0, &step);
      if (fd == -EAFNOSUPPORT) { a4.sin_addr.s_addr = htonl(INADDR_ANY); fd = bind_listen(AF_INET, (struct sockaddr *)&a4, sizeof a4, -1, &step); }
    } else if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
      fd = bind_listen(AF_INET, (struct sockaddr *)&a4, sizeof a4, -1, &step);
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
      fd = bind_listen(AF_INET6, (struct sockaddr *)&a6, sizeof a6, -1, &step);
    } else {
      return throw_errno(env, EINVAL, "inet_pton");
    }
  } else {
    return (napi_throw_type_error(env, NULL, "listenSocket: kind is tcp or unix"), NULL);
  }
  if (fd < 0) return throw_errno(env, -fd, step);
  napi_create_int32(env, fd, &out);
  return out;
}
