/* Load a musl prebuild with musl's own dynamic linker and run its Node-API init, without a node
 * (no musl node is to be had on a Debian machine). Every napi_* function the module needs is a stub
 * (smoke.mjs writes them) that answers napi_ok; napi_define_properties records what the module
 * registers. Prints one line: the number of functions and their names. */
#include <dlfcn.h>
#include <stdio.h>
#include <stddef.h>

typedef struct { /* napi_property_descriptor, as node_api.h lays it out */
  const char *utf8name; void *name, *method, *getter, *setter, *value; int attributes; void *data;
} property;

static int functions;
static char names[4096];
static size_t used;

int napi_define_properties(void *env, void *object, size_t count, const property *props) {
  for (size_t i = 0; i < count; i++) {
    if (!props[i].method) continue;
    functions++;
    used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? " " : "", props[i].utf8name);
    if (used >= sizeof names) used = sizeof names - 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!module) { printf("dlopen: %s\n", dlerror()); return 1; }
  void *(*init)(void *, void *) = (void *(*)(void *, void *))dlsym(module, "napi_register_module_v1");
  if (!init) { printf("no napi_register_module_v1\n"); return 1; }
  void *exports = init((void *)1, (void *)2);
  printf("%s %d functions: %s\n", exports == (void *)2 ? "init ok," : "init returned something else,", functions, names);
  return exports == (void *)2 ? 0 : 1;
}
