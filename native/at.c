/*
 * Calls relative to a directory fd, for the log directory (src/logs/log-dir.ts): a directory the
 * service user may write, in which root must never act through a name the user could have
 * replaced on the way. Node has no openat/renameat/unlinkat; every name here is one component.
 *   openAt(dirfd, name, flags, mode)  openat(2), always O_CLOEXEC
 *   renameAt(dirfd, from, to)         renameat(2) within the one directory
 *   unlinkAt(dirfd, name)             unlinkat(2): removes that entry only, never what it names
 *   inodeAt(dirfd, name)              the entry's own inode (not followed), or null if none
 *   listAt(dirfd)                     the directory's names (without . and ..)
 */
#include "common.h"
#include <dirent.h>

/* One path component: no '/', not empty, not . or .. (a name is never a path here). */
static bool get_name(napi_env env, napi_value v, char *out, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok || len == 0 || len >= size - 1) return false;
  return strchr(out, '/') == NULL && strcmp(out, ".") != 0 && strcmp(out, "..") != 0;
}

static napi_value open_at(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4], out; int32_t dirfd, flags, mode; char name[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || get_int(env, argv[0], &dirfd) || !get_name(env, argv[1], name, sizeof name) ||
      get_int(env, argv[2], &flags) || get_int(env, argv[3], &mode))
    return (napi_throw_type_error(env, NULL, "openAt(dirfd, name, flags, mode)"), NULL);
  int fd;
  do fd = openat(dirfd, name, flags | O_CLOEXEC, (mode_t)mode); while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "openat");
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value rename_at(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; int32_t dirfd; char from[4096], to[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || get_int(env, argv[0], &dirfd) || !get_name(env, argv[1], from, sizeof from) || !get_name(env, argv[2], to, sizeof to))
    return (napi_throw_type_error(env, NULL, "renameAt(dirfd, from, to)"), NULL);
  if (renameat(dirfd, from, dirfd, to) != 0) return throw_errno(env, errno, "renameat");
  return NULL;
}

static napi_value unlink_at(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2]; int32_t dirfd; char name[4096];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &dirfd) || !get_name(env, argv[1], name, sizeof name))
    return (napi_throw_type_error(env, NULL, "unlinkAt(dirfd, name)"), NULL);
  if (unlinkat(dirfd, name, 0) != 0) return throw_errno(env, errno, "unlinkat");
  return NULL;
}

static napi_value inode_at(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], out; int32_t dirfd; char name[4096]; struct stat st;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &dirfd) || !get_name(env, argv[1], name, sizeof name))
    return (napi_throw_type_error(env, NULL, "inodeAt(dirfd, name)"), NULL);
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return (napi_get_null(env, &out), out);
    return throw_errno(env, errno, "fstatat");
  }
  napi_create_double(env, (double)st.st_ino, &out); /* as Node's Stats.ino: a number */
  return out;
}

static napi_value list_at(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], arr, v; int32_t dirfd; uint32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &dirfd)) return (napi_throw_type_error(env, NULL, "listAt(dirfd)"), NULL);
  /* fdopendir takes the fd it is given: a fresh one, so the caller's keeps its own offset. */
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "openat(.)");
  DIR *dir = fdopendir(fd);
  if (!dir) { int e = errno; close(fd); return throw_errno(env, e, "fdopendir"); }
  napi_create_array(env, &arr);
  struct dirent *entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    napi_create_string_utf8(env, entry->d_name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, n++, v);
  }
  int e = errno;
  closedir(dir);
  if (e != 0) return throw_errno(env, e, "readdir");
  return arr;
}

void at_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "openAt", NULL, open_at, NULL, NULL, NULL, napi_default, NULL },
    { "renameAt", NULL, rename_at, NULL, NULL, NULL, napi_default, NULL },
    { "unlinkAt", NULL, unlink_at, NULL, NULL, NULL, napi_default, NULL },
    { "inodeAt", NULL, inode_at, NULL, NULL, NULL, napi_default, NULL },
    { "listAt", NULL, list_at, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
