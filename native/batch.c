/*
 * readBatch(paths, lstatFrom): a report's small files in one call (`list`: each service's state
 * file, lock file and pidfile, the shared supervisor's fdinfo, each COMMAND's statm; the scan's
 * stat lines are procScan's, native/scan.c). Entries before `lstatFrom` are opened (O_NOFOLLOW,
 * O_NONBLOCK: no link followed, no FIFO waited on), fstat'ed and read; the others lstat'ed.
 * With many, half go to a second thread: what a report costs is the kernel's work per file, and
 * node's per call beside it (docs/decisions.md).
 * Returns [texts, meta]: texts[i] the file's text (UTF-8, as node decodes it) or null; meta a
 * Float64Array of 5 per entry: errno (0, or EFBIG past 64 KiB), st_mode, st_uid, st_dev, st_ino
 * (-1 where a device or inode number is too large for a double to hold exactly).
 */
#include "common.h"

#define BATCH_MAX_TEXT (64 * 1024)
#define BATCH_META 5

typedef struct {
  char *path;
  bool lstat_only;
  int err;
  struct stat st;
  char *text;
  size_t len;
} item_t;

typedef struct {
  item_t *items;
  size_t from, to;
  char *buf;
  bool own_thread; /* the second thread: it takes no signal (the calling thread's mask is left alone) */
} span_t;

/* After a short read, is the file read whole? For a regular file of the size fstat gave, or of
 * size 0 (a /proc file: the kernel writes it whole into a read large enough), yes: the read that
 * would return 0 is not made (a syscall per file). Anything else is read to its end. */
static bool read_whole(const struct stat *st, size_t len) {
  return S_ISREG(st->st_mode) && (st->st_size == 0 || (off_t)len >= st->st_size);
}

static void read_item(item_t *it, char *buf) {
  int fd = open(it->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) { it->err = errno; return; }
  if (fstat(fd, &it->st) != 0) { it->err = errno; close(fd); return; }
  size_t len = 0;
  for (;;) {
    size_t want = BATCH_MAX_TEXT + 1 - len;
    ssize_t n = read(fd, buf + len, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { it->err = errno; break; }
    if (n == 0) break;
    len += (size_t)n;
    if (len > BATCH_MAX_TEXT) { it->err = EFBIG; break; }
    if ((size_t)n < want && read_whole(&it->st, len)) break;
  }
  close(fd);
  if (it->err != 0) return;
  if (len > 0 && (it->text = malloc(len)) == NULL) { it->err = ENOMEM; return; }
  if (len > 0) memcpy(it->text, buf, len);
  it->len = len;
}

static void *run_span(void *arg) {
  span_t *s = arg;
  if (s->own_thread) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are node's threads' */
  }
  for (size_t i = s->from; i < s->to; i++) {
    item_t *it = &s->items[i];
    if (!it->path) { it->err = EINVAL; continue; }
    if (it->lstat_only) { if (lstat(it->path, &it->st) != 0) it->err = errno; }
    else read_item(it, s->buf);
  }
  return NULL;
}

static double exact(uint64_t n) { return n <= (1ULL << 53) ? (double)n : -1; }

static void free_items(item_t *items, size_t count) {
  for (size_t i = 0; i < count; i++) { free(items[i].path); free(items[i].text); }
  free(items);
}

napi_value read_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], texts, meta_buf, meta, out, v; uint32_t count; int32_t lstat_from;
  bool is_array; void *meta_data; napi_value result = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || get_int(env, argv[1], &lstat_from) || lstat_from < 0)
    return throw_type(env, "readBatch(paths, lstatFrom)");
  CHECK(napi_get_array_length(env, argv[0], &count));
  item_t *items = calloc(count ? count : 1, sizeof *items);
  if (!items) return throw_errno(env, ENOMEM, "calloc");
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, argv[0], i, &v) != napi_ok) { free_items(items, count); return napi_failed(env, "napi_get_element"); }
    items[i].path = get_cstr(env, v); /* NULL (EINVAL: not a string, a NUL byte): that entry's errno */
    items[i].lstat_only = (int64_t)i >= lstat_from;
  }
  span_t spans[2] = { { items, 0, count, malloc(BATCH_MAX_TEXT + 1), false }, { items, count, count, NULL, true } };
  pthread_t second;
  bool two = false;
  if (count >= 64 && (spans[1].buf = malloc(BATCH_MAX_TEXT + 1)) != NULL) {
    spans[1].from = count / 2; spans[1].to = count; spans[0].to = count / 2;
    two = pthread_create(&second, NULL, run_span, &spans[1]) == 0;
    if (!two) spans[0].to = count; /* no thread: all on this one */
  }
  if (!spans[0].buf) { free(spans[1].buf); free_items(items, count); return throw_errno(env, ENOMEM, "malloc"); }
  run_span(&spans[0]);
  if (two) pthread_join(second, NULL);
  free(spans[0].buf); free(spans[1].buf);
  CHECK_OR(napi_create_array_with_length(env, count, &texts), done);
  CHECK_OR(napi_create_arraybuffer(env, (size_t)count * BATCH_META * sizeof(double), &meta_data, &meta_buf), done);
  CHECK_OR(napi_create_typedarray(env, napi_float64_array, (size_t)count * BATCH_META, meta_buf, 0, &meta), done);
  double *m = meta_data;
  for (uint32_t i = 0; i < count; i++) {
    item_t *it = &items[i];
    m[i * BATCH_META] = it->err;
    m[i * BATCH_META + 1] = it->err ? 0 : it->st.st_mode;
    m[i * BATCH_META + 2] = it->err ? 0 : it->st.st_uid;
    m[i * BATCH_META + 3] = it->err ? 0 : exact(it->st.st_dev);
    m[i * BATCH_META + 4] = it->err ? 0 : exact(it->st.st_ino);
    if (it->lstat_only || it->err) CHECK_OR(napi_get_null(env, &v), done);
    else CHECK_OR(napi_create_string_utf8(env, it->text ? it->text : "", it->len, &v), done);
    CHECK_OR(napi_set_element(env, texts, i, v), done);
  }
  CHECK_OR(napi_create_array_with_length(env, 2, &out), done);
  CHECK_OR(napi_set_element(env, out, 0, texts), done);
  CHECK_OR(napi_set_element(env, out, 1, meta), done);
  result = out;
done:
  free_items(items, count);
  return result;
}

/* pageSize() -> the kernel's page size (sysconf): /proc/PID/statm counts pages. */
napi_value page_size(napi_env env, napi_callback_info info) {
  (void)info;
  long size = sysconf(_SC_PAGESIZE);
  return js_double(env, size > 0 ? (double)size : 4096);
}
