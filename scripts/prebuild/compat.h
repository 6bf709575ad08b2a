/* Included first in every prebuild (gcc -include): Debian 11's glibc 2.31 headers name fewer
 * system calls than the kernel headers they are built with, so a SYS_ name the sources use may be
 * missing while its __NR_ number is there. Only names that the sources use and that some libc
 * of a prebuild lacks are listed; the source code stays what node-gyp builds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* as common.h asks: this file comes first, and the headers are read once */
#endif
#include <sys/syscall.h>
#include <unistd.h>
/* lseek's SEEK_DATA and SEEK_HOLE (Linux 3.1): musl's headers name them only from 1.2.4. */
#ifndef SEEK_DATA
#define SEEK_DATA 3
#endif
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif
#if !defined(SYS_close_range) && defined(__NR_close_range)
#define SYS_close_range __NR_close_range
#endif
