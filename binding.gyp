{
  "targets": [
    {
      "target_name": "daemonkit",
      "sources": ["native/daemonkit.c", "native/spawn.c", "native/notify.c", "native/user.c", "native/io.c", "native/at.c", "native/signals.c", "native/listen.c", "native/relay.c", "native/batch.c", "native/scan.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
