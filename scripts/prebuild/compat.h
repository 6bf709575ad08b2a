/* Included first in every prebuild (gcc -include): Debian 11's glibc 2.31 headers name fewer
 * system calls than the kernel headers they are built with, so a SYS_ name the sources use may be
 * missing while its __NR_ number is there. Only names that the sources use and that some libc
 * of a prebuild lacks are listed; the source code stays what node-gyp builds. */
#include <sys/syscall.h>
#if !defined(SYS_close_range) && defined(__NR_close_range)
#define SYS_close_range __NR_close_range
#endif
