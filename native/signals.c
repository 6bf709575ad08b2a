/*
 * Signals the CLI lets take their default action while it blocks its thread:
 *   signalsDefault([signo, …])  set each to SIG_DFL, keeping the action it had (libuv's handler)
 *   signalsRestore()            put every kept action back
 * The CLI catches its signals from its first moment (src/sys/signals.ts) and acts on them from
 * the event loop, which a blocking wait (stop's poll on a pidfd, restart's lock) does not turn:
 * a Ctrl-C there would wait for the wait. Only a signal the CLI would end by anyway is let through,
 * and only for the call's length; libuv's own records are never touched, so a signal it caught
 * before is still in its pipe and is acted on after. Main thread only, one call at a time.
 */
#include "common.h"

static struct sigaction kept[NSIG];
static bool is_kept[NSIG];

static napi_value signals_default(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; uint32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_array_length(env, argv[0], &n) != napi_ok) return throw_type(env, "signalsDefault(signals)");
  struct sigaction dfl; memset(&dfl, 0, sizeof dfl); dfl.sa_handler = SIG_DFL; sigemptyset(&dfl.sa_mask);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v; int32_t s;
    CHECK(napi_get_element(env, argv[0], i, &v));
    if (get_int(env, v, &s) || s <= 0 || s >= NSIG || s == SIGKILL || s == SIGSTOP) return throw_type(env, "signalsDefault: not a signal");
    if (is_kept[s]) continue;
    if (sigaction(s, &dfl, &kept[s]) != 0) return throw_errno(env, errno, "sigaction");
    is_kept[s] = true;
  }
  return NULL;
}

static napi_value signals_restore(napi_env env, napi_callback_info info) {
  (void)info;
  for (int s = 1; s < NSIG; s++) {
    if (!is_kept[s]) continue;
    is_kept[s] = false;
    if (sigaction(s, &kept[s], NULL) != 0) return throw_errno(env, errno, "sigaction");
  }
  return NULL;
}

bool signals_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "signalsDefault", NULL, signals_default, NULL, NULL, NULL, napi_default, NULL },
    { "signalsRestore", NULL, signals_restore, NULL, NULL, NULL, napi_default, NULL },
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
