/*
 * Calls relative to a directory fd, for the log directory (src/logs/log-dir.ts): a directory the
 * service user may write, in which root must never act through a name the user could have
 * replaced on the way. Node has no openat/renameat/unlinkat; every name here is one component.
 *   openAt(dirfd, name, flags, mode)  openat(2), always O_CLOEXEC
 *   renameAt(dirfd, from, to)         renameat(2) within the one directory
 *   unlinkAt(dirfd, name)             unlinkat(2): removes that entry only, never what it names
 *   inodeAt(dirfd, name)              the entry's own inode (not followed), or null if none
 *   rotatedAt(dirfd, base, maxNames, maxFiles)  base.K and base.K.gz there, as K*2+gz
 *   accessAcl(fd | path)              the system.posix_acl_access xattr (a path: not followed)
 *   seekData(fd, pos, hole)           lseek SEEK_DATA (or SEEK_HOLE): -1 when there is none
 */
#include "common.h"
#include <dirent.h>
#include <sys/xattr.h>

/* One path component: no '/', not empty, not . or .. (a name is never a path here). 0, or
 * EINVAL (not such a name), or ENAMETOOLONG (refused as the kernel would, never cut short). */
static int get_name(napi_env env, napi_value v, char *out, size_t size) {
  int bad = get_path_arg(env, v, out, size);
  if (bad) return bad;
  return out[0] != '\0' && strchr(out, '/') == NULL && strcmp(out, ".") != 0 && strcmp(out, "..") != 0 ? 0 : EINVAL;
}

/* Read argument `v` as a name into `buf`, or return the call's TypeError (`usage`) or ENAMETOOLONG (`sys`). */
#define GET_NAME(v, buf, usage, sys) \
  do { int bad_ = get_name(env, (v), (buf), sizeof (buf)); if (bad_) return bad_ == ENAMETOOLONG ? throw_errno(env, bad_, (sys)) : throw_type(env, (usage)); } while (0)

static napi_value open_at(napi_env env, napi_callback_info info) {
  static const char usage[] = "openAt(dirfd, name, flags, mode)";
  size_t argc = 4; napi_value argv[4], out; int32_t dirfd, flags, mode; char name[DK_PATH_MAX];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || get_int(env, argv[0], &dirfd) || get_int(env, argv[2], &flags) || get_int(env, argv[3], &mode)) return throw_type(env, usage);
  GET_NAME(argv[1], name, usage, "openat");
  int fd;
  do fd = openat(dirfd, name, flags | O_CLOEXEC, (mode_t)mode); while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "openat");
  if ((out = js_int(env, fd)) == NULL) close(fd);
  return out;
}

static napi_value rename_at(napi_env env, napi_callback_info info) {
  static const char usage[] = "renameAt(dirfd, from, to)";
  size_t argc = 3; napi_value argv[3]; int32_t dirfd; char from[DK_PATH_MAX], to[DK_PATH_MAX];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || get_int(env, argv[0], &dirfd)) return throw_type(env, usage);
  GET_NAME(argv[1], from, usage, "renameat");
  GET_NAME(argv[2], to, usage, "renameat");
  if (renameat(dirfd, from, dirfd, to) != 0) return throw_errno(env, errno, "renameat");
  return NULL;
}

static napi_value unlink_at(napi_env env, napi_callback_info info) {
  static const char usage[] = "unlinkAt(dirfd, name)";
  size_t argc = 2; napi_value argv[2]; int32_t dirfd; char name[DK_PATH_MAX];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &dirfd)) return throw_type(env, usage);
  GET_NAME(argv[1], name, usage, "unlinkat");
  if (unlinkat(dirfd, name, 0) != 0) return throw_errno(env, errno, "unlinkat");
  return NULL;
}

static napi_value inode_at(napi_env env, napi_callback_info info) {
  static const char usage[] = "inodeAt(dirfd, name)";
  size_t argc = 2; napi_value argv[2]; int32_t dirfd; char name[DK_PATH_MAX]; struct stat st;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || get_int(env, argv[0], &dirfd)) return throw_type(env, usage);
  GET_NAME(argv[1], name, usage, "fstatat");
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return js_null(env);
    return throw_errno(env, errno, "fstatat");
  }
  return js_double(env, (double)st.st_ino); /* as Node's Stats.ino: a number */
}

/* The rotated files of `base`: base.K and base.K.gz (K 1 to 999999999, no leading zero), each as
   K*2 (+1 for .gz). Filtered here, not in JS: the service user may fill the directory with
   names, and an array of all of them would not fit the supervisor's heap. Bounded: -1 once more
   than maxNames entries were read (0: no bound), -2 once more than maxFiles matched. */
static napi_value rotated_at(napi_env env, napi_callback_info info) {
  static const char usage[] = "rotatedAt(dirfd, base, maxNames, maxFiles)";
  size_t argc = 4; napi_value argv[4], arr, v; int32_t dirfd, maxNames, maxFiles; char base[DK_PATH_MAX];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || get_int(env, argv[0], &dirfd) || get_int(env, argv[2], &maxNames) || get_int(env, argv[3], &maxFiles)) return throw_type(env, usage);
  GET_NAME(argv[1], base, usage, "openat");
  /* fdopendir takes the fd it is given: a fresh one, so the caller's keeps its own offset. */
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "openat(.)");
  DIR *dir = fdopendir(fd);
  if (!dir) { int e = errno; close(fd); return throw_errno(env, e, "fdopendir"); }
  if (napi_create_array(env, &arr) != napi_ok) { closedir(dir); return napi_failed(env, "napi_create_array"); }
  size_t blen = strlen(base); int64_t seen = 0; uint32_t n = 0; int over = 0;
  struct dirent *entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    if (maxNames > 0 && ++seen > maxNames) { over = -1; break; }
    const char *s = entry->d_name;
    if (strncmp(s, base, blen) != 0 || s[blen] != '.' || s[blen + 1] < '1' || s[blen + 1] > '9') continue;
    double k = 0; int digits = 0;
    for (s += blen + 1; *s >= '0' && *s <= '9'; s++) k = k * 10 + (*s - '0'), digits++;
    bool gz = strcmp(s, ".gz") == 0;
    if (digits > 9 || (*s != '\0' && !gz)) continue;
    if (n >= (uint32_t)maxFiles) { over = -2; break; }
    if (napi_create_double(env, k * 2 + (gz ? 1 : 0), &v) != napi_ok || napi_set_element(env, arr, n++, v) != napi_ok) {
      closedir(dir);
      return napi_failed(env, "rotatedAt: result");
    }
  }
  int e = over ? 0 : errno;
  closedir(dir);
  if (e != 0) return throw_errno(env, e, "readdir");
  return over ? js_int(env, over) : arr;
}

/* The access ACL (its raw xattr: a version, then tag/perm/id entries), or null when there is none
   (or the filesystem has no ACLs). Mode bits alone hide who an ACL lets write: trust.ts reads it. */
static napi_value access_acl(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; napi_valuetype type = napi_undefined; int32_t fd = -1; char path[DK_PATH_MAX]; int bad = 0;
  static const char *name = "system.posix_acl_access";
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &type));
  if (type == napi_number ? get_fd(env, argv[0], &fd) != 0 : type != napi_string || (bad = get_path_arg(env, argv[0], path, sizeof path)) != 0)
    return bad == ENAMETOOLONG ? throw_errno(env, bad, "lgetxattr") : throw_type(env, "accessAcl(fd | path)");
  char buf[8192]; /* ext4 keeps an ACL within one 4 KiB block; more: ERANGE, said */
  ssize_t size = fd >= 0 ? fgetxattr(fd, name, buf, sizeof buf) : lgetxattr(path, name, buf, sizeof buf);
  if (size < 0 && (errno == ENODATA || errno == ENOTSUP)) return js_null(env);
  if (size < 0) return throw_errno(env, errno, fd >= 0 ? "fgetxattr" : "lgetxattr");
  CHECK(napi_create_buffer_copy(env, (size_t)size, buf, NULL, &out));
  return out;
}

/* lseek(fd, pos, SEEK_DATA or SEEK_HOLE): where the next data (or hole) starts, -1 when none
   (ENXIO: pos is past the end, or only a hole follows). A filesystem without holes reports the
   whole file as data. For readers of a file another user may have made sparse. */
static napi_value seek_data(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; int32_t fd; double pos; bool hole;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || get_int(env, argv[0], &fd) || napi_get_value_double(env, argv[1], &pos) != napi_ok ||
      napi_get_value_bool(env, argv[2], &hole) != napi_ok)
    return throw_type(env, "seekData(fd, pos, hole)");
  if (!(pos >= 0 && pos < 9007199254740992.0)) return throw_range(env, "seekData(fd, pos, hole): pos from 0 to 2^53");
  off_t at = lseek(fd, (off_t)pos, hole ? SEEK_HOLE : SEEK_DATA);
  if (at < 0 && errno != ENXIO) return throw_errno(env, errno, "lseek");
  return js_double(env, at < 0 ? -1 : (double)at);
}

bool at_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "openAt", NULL, open_at, NULL, NULL, NULL, napi_default, NULL },
    { "renameAt", NULL, rename_at, NULL, NULL, NULL, napi_default, NULL },
    { "unlinkAt", NULL, unlink_at, NULL, NULL, NULL, napi_default, NULL },
    { "inodeAt", NULL, inode_at, NULL, NULL, NULL, napi_default, NULL },
    { "rotatedAt", NULL, rotated_at, NULL, NULL, NULL, napi_default, NULL },
    { "accessAcl", NULL, access_acl, NULL, NULL, NULL, napi_default, NULL },
    { "seekData", NULL, seek_data, NULL, NULL, NULL, napi_default, NULL },
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
