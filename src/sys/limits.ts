// Generated from native/limits.h by scripts/gen-limits.mjs: edit the header, not this file.
export const PATH_MAX = 4096;
export const MAX_LIMITS = 8;
export const MAX_FDS = 64;
export const MAX_GROUPS = 65536;
export const MAX_ARG_STRLEN = 131072;
