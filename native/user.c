/*
 * The user and group database, through the C library's NSS (so /etc/passwd, LDAP, sssd,
 * systemd-userdb … all answer, exactly as they would for login or systemd's User=):
 *   getUser(nameOrUid)        -> { name, uid, gid, home, shell } or null when there is none
 *   getGroup(nameOrGid)       -> { name, gid } or null
 *   getGroupList(user, gid)   -> the gids initgroups(user, gid) would set (gid included)
 * and, for spawn.c, the drop itself: read_ids (from a spec) and drop_ids (in the forked child).
 * A string is looked up as a name, a number as an id. Lookup failures other than "no such
 * entry" (an unreachable directory server, say) are thrown with their errno.
 * The lookups run in the parent, never in a forked child (NSS is not async-signal-safe); the
 * child gets plain numbers.
 */
#include "common.h"
#include <grp.h>
#include <pwd.h>
#include <sys/fsuid.h>

/* getpw*_r / getgr*_r report "not found" as 0 with a NULL result, or (per the man pages) as one
 * of these errnos on some NSS modules. */
static bool not_found(int err) { return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM; }

/* A uid or gid: a whole number from 0 to 2^32-2 ((uid_t)-1 means "unchanged" to the set*id calls);
 * napi_get_value_uint32 alone would take -1 or 2^32+5 modulo 2^32, and 1.5 as 1. */
static bool get_id(napi_env env, napi_value v, uint32_t *id) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d < UINT32_MAX) || d != (double)(uint32_t)d) return false;
  *id = (uint32_t)d;
  return true;
}

/* The key: a string (by name, *name malloc'ed at its length: free it) or a number (by id).
 * Returns 1 for a name, 0 for an id, -1 bad (not a name: empty, a NUL inside), -2 out of memory. */
static int read_key(napi_env env, napi_value v, char **name, uint32_t *id) {
  napi_valuetype t;
  *name = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_number) return get_id(env, v, id) ? 0 : -1;
  if (t != napi_string) return -1;
  if (!(*name = get_cstr(env, v))) return errno == ENOMEM ? -2 : -1;
  if (**name == '\0') { free(*name); *name = NULL; return -1; }
  return 1;
}

static long buffer_size(int which) { long n = sysconf(which); return n > 0 ? n : 16384; }


napi_value get_user(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; char *name = NULL; uint32_t uid = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int by_name = argc < 1 ? -1 : read_key(env, argv[0], &name, &uid);
  if (by_name == -2) return throw_errno(env, ENOMEM, "getUser");
  if (by_name < 0) return throw_type(env, "getUser(nameOrUid): a name or a uid from 0 to 2^32-2");
  struct passwd pw, *found = NULL; long size = buffer_size(_SC_GETPW_R_SIZE_MAX); char *buf = NULL; int err;
  for (;;) {
    char *bigger = realloc(buf, (size_t)size);
    if (!bigger) { free(buf); free(name); return throw_errno(env, ENOMEM, "getpwnam_r"); }
    buf = bigger;
    err = by_name ? getpwnam_r(name, &pw, buf, (size_t)size, &found) : getpwuid_r((uid_t)uid, &pw, buf, (size_t)size, &found);
    if (err != ERANGE || size > (1L << 24)) break;
    size *= 2;
  }
  free(name);
  if (!found) {
    free(buf);
    if (not_found(err)) return js_null(env);
    return throw_errno(env, err, by_name ? "getpwnam_r" : "getpwuid_r");
  }
  bool ok = napi_create_object(env, &out) == napi_ok && set_string(env, out, "name", pw.pw_name) && set_uint(env, out, "uid", pw.pw_uid)
    && set_uint(env, out, "gid", pw.pw_gid) && set_string(env, out, "home", pw.pw_dir) && set_string(env, out, "shell", pw.pw_shell);
  free(buf);
  return ok ? out : napi_failed(env, "getUser: result");
}

napi_value get_group(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out; char *name = NULL; uint32_t gid = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int by_name = argc < 1 ? -1 : read_key(env, argv[0], &name, &gid);
  if (by_name == -2) return throw_errno(env, ENOMEM, "getGroup");
  if (by_name < 0) return throw_type(env, "getGroup(nameOrGid): a name or a gid from 0 to 2^32-2");
  struct group gr, *found = NULL; long size = buffer_size(_SC_GETGR_R_SIZE_MAX); char *buf = NULL; int err;
  for (;;) {
    char *bigger = realloc(buf, (size_t)size);
    if (!bigger) { free(buf); free(name); return throw_errno(env, ENOMEM, "getgrnam_r"); }
    buf = bigger;
    err = by_name ? getgrnam_r(name, &gr, buf, (size_t)size, &found) : getgrgid_r((gid_t)gid, &gr, buf, (size_t)size, &found);
    if (err != ERANGE || size > (1L << 24)) break; /* a group with many members needs a big buffer */
    size *= 2;
  }
  free(name);
  if (!found) {
    free(buf);
    if (not_found(err)) return js_null(env);
    return throw_errno(env, err, by_name ? "getgrnam_r" : "getgrgid_r");
  }
  bool ok = napi_create_object(env, &out) == napi_ok && set_string(env, out, "name", gr.gr_name) && set_uint(env, out, "gid", gr.gr_gid);
  free(buf);
  return ok ? out : napi_failed(env, "getGroup: result");
}

napi_value get_group_list(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], out; char *name = NULL, *none; uint32_t gid;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int by_name = argc < 2 ? -1 : read_key(env, argv[0], &name, &gid);
  if (by_name == -2) return throw_errno(env, ENOMEM, "getGroupList");
  if (by_name != 1 || read_key(env, argv[1], &none, &gid) != 0) { free(name); return throw_type(env, "getGroupList(user, gid)"); }
  int n = 64; gid_t *groups = NULL;
  for (int tries = 0; ; tries++) {
    gid_t *bigger = realloc(groups, (size_t)n * sizeof *groups);
    if (!bigger) { free(groups); free(name); return throw_errno(env, ENOMEM, "getgrouplist"); }
    groups = bigger;
    int want = n;
    if (getgrouplist(name, (gid_t)gid, groups, &want) >= 0) { n = want; break; }
    /* -1: too small, and `want` says how many there are (glibc); grow and ask again. */
    if (tries > 8) { free(groups); free(name); return throw_errno(env, ERANGE, "getgrouplist"); }
    n = want > n ? want : n * 2;
  }
  free(name);
  bool ok = napi_create_array_with_length(env, (size_t)n, &out) == napi_ok;
  for (int i = 0; ok && i < n; i++) { napi_value v; ok = napi_create_uint32(env, groups[i], &v) == napi_ok && napi_set_element(env, out, (uint32_t)i, v) == napi_ok; }
  free(groups);
  return ok ? out : napi_failed(env, "getGroupList: result");
}

/* A spec's uid, gid and groups (all three, or none: then ids->set stays false). */
bool read_ids(napi_env env, napi_value obj, ids_t *ids, bool *oom) {
  napi_value v; napi_valuetype t = napi_undefined; uint32_t n, id;
  if (napi_get_named_property(env, obj, "uid", &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined) return true;
  if (!get_id(env, v, &id)) return false;
  ids->uid = (uid_t)id;
  if (napi_get_named_property(env, obj, "gid", &v) != napi_ok || !get_id(env, v, &id)) return false;
  ids->gid = (gid_t)id;
  if (napi_get_named_property(env, obj, "groups", &v) != napi_ok || napi_get_array_length(env, v, &n) != napi_ok || n > DK_MAX_GROUPS) return false;
  ids->groups = calloc(n + 1, sizeof(gid_t));
  if (!ids->groups) return (*oom = true, false);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !get_id(env, e, &id)) return false;
    ids->groups[i] = (gid_t)id;
  }
  ids->ngroups = (int)n;
  ids->set = true;
  return true;
}

/* In a forked child (async-signal-safe calls only): the supplementary groups while we may still
 * set them, then the gid while we still may, the uid last. Then check every uid and gid (real,
 * effective, saved, filesystem) is the target and a non-root target cannot get root back.
 * Returns 0, or the failing step with errno set. Raw system calls, not the C library's setuid
 * and co.: in a child that shares its parent's memory (spawn.c's clone), glibc takes the
 * parent's threads for ours and would change their ids too (its set*id "broadcast"); for a
 * real uid, the calls below are what setgroups/setgid/setuid(2) do as root. */
int drop_ids(const ids_t *ids) {
  if (syscall(SYS_setgroups, (size_t)ids->ngroups, ids->groups) != 0) return S_SETGROUPS;
  if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) != 0) return S_SETGID;
  if (syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) != 0) return S_SETUID;
  uid_t ru, eu, su; gid_t rg, eg, sg;
  bool ok = getresuid(&ru, &eu, &su) == 0 && ru == ids->uid && eu == ids->uid && su == ids->uid
    && getresgid(&rg, &eg, &sg) == 0 && rg == ids->gid && eg == ids->gid && sg == ids->gid
    && (uid_t)setfsuid((uid_t)-1) == ids->uid && (gid_t)setfsgid((gid_t)-1) == ids->gid
    && (ids->uid == 0 || (syscall(SYS_setresuid, 0, 0, 0) != 0 && syscall(SYS_setresuid, -1, 0, -1) != 0));
  if (!ok) { errno = EPERM; return S_VERIFY; }
  return 0;
}
