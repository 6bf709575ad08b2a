/*
 * File and pipe calls Node has no cheap form of:
 *   replaceFile(tmp, path, keepOld)
 *                           rename a temp file over a state file, without ext4's flush
 *   pipeBytes(fd)           what a pipe holds now (FIONREAD): a drain that finds it empty need
 *                           not read and catch EAGAIN
 *   readerGone(fd)          the far end of our output pipe or socket is closed (POLLERR/POLLHUP),
 *                           known without writing: `logs -f | head` on a quiet log can end
 *   exitNow(code)           _exit(2): a supervisor, all written and closed, ends without node's
 *                           teardown (its threads joined one by one)
 */
#include "common.h"
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <poll.h>

/* replaceFile(tmp, path, keepOld): make `path` the file `tmp` is, atomically for readers, and
 * remove `tmp`. ext4 flushes the new file's data whenever a rename replaces a file (auto_da_alloc),
 * on every state write on the stop path (measured: docs/decisions.md). Exchanging the two names
 * (renameat2 RENAME_EXCHANGE) does not, and is as atomic; then the old file, now at `tmp`, goes —
 * or, with keepOld, stays there for the caller to remove later (a file removed makes the next ones
 * made slower on a busy ext4; a start burst leaves that for later). Returns whether it stayed.
 * A plain rename when there is no regular file at `path` yet, or the file system cannot exchange. */
static napi_value replace_file(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; char tmp[DK_PATH_MAX], path[DK_PATH_MAX]; struct stat st; int bad; bool keep = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_type(env, "replaceFile(tmp, path, keepOld)");
  if ((bad = get_path_arg(env, argv[0], tmp, sizeof tmp)) != 0 || (bad = get_path_arg(env, argv[1], path, sizeof path)) != 0)
    return bad == ENAMETOOLONG ? throw_errno(env, bad, "rename") : throw_type(env, "replaceFile(tmp, path, keepOld)");
  if (argc > 2 && napi_get_value_bool(env, argv[2], &keep) != napi_ok) return throw_type(env, "replaceFile(tmp, path, keepOld)");
  if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
    if (!keep) (void)unlink(tmp);
    return js_bool(env, keep);
  }
  if (rename(tmp, path) != 0) return throw_errno(env, errno, "rename");
  return js_bool(env, false);
}

static napi_value pipe_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd; int n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return throw_type(env, "pipeBytes(fd)");
  if (ioctl(fd, FIONREAD, &n) != 0) return throw_errno(env, errno, "ioctl(FIONREAD)");
  return js_int(env, n);
}

static napi_value reader_gone(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) return throw_type(env, "readerGone(fd)");
  struct pollfd p = { .fd = fd, .events = 0, .revents = 0 }; /* asked for nothing: only ERR/HUP come back */
  int n = poll(&p, 1, 0);
  return js_bool(env, n == 1 && (p.revents & (POLLERR | POLLHUP)) != 0);
}

/* exitNow(code): _exit(2), for sys/exit.ts. */
static napi_value exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t code;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &code)) return throw_type(env, "exitNow(code)");
  _exit(code & 0xff);
}

bool io_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "replaceFile", NULL, replace_file, NULL, NULL, NULL, napi_default, NULL },
    { "pipeBytes", NULL, pipe_bytes, NULL, NULL, NULL, napi_default, NULL },
    { "readerGone", NULL, reader_gone, NULL, NULL, NULL, napi_default, NULL },
    { "exitNow", NULL, exit_now, NULL, NULL, NULL, napi_default, NULL },
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
