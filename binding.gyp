{
  "targets": [
    {
      "target_name": "daemonkit",
      "sources": ["native/daemonkit.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
