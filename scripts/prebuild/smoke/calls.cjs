// Run by an old node on Debian 11's glibc (smoke.mjs): load a prebuild and make real calls —
// the user database through NSS, a pipe, OFD locks, a fork+exec+wait. Prints one JSON line.
// biome-ignore lint/style/useNodejsImportProtocol: node 12 (arm64, under qemu) has no node: prefix
const fs = require('fs');
const [file, scratch] = process.argv.slice(2);
const m = require(file);
// biome-ignore lint/complexity/useOptionalChain: node 12 (arm64, under qemu) has no ?.
const out = { user0: (m.getUser(0) || {}).name };
const [r, w] = m.pipe();
fs.writeSync(w, 'hello');
out.pipeBytes = m.pipeBytes(r);
const lock = `${scratch}/lock`;
const a = fs.openSync(lock, 'w');
const b = fs.openSync(lock, 'r+');
out.locks = [m.ofdLock(a, true), m.ofdTest(b), m.ofdLock(b, true)];
const pid = m.spawnProcess({
  file: '/bin/sh',
  argv: ['sh', '-c', 'exit 7'],
  envp: [],
  fds: [],
  cwd: '/',
});
let status = null;
for (const t = Date.now(); !status && Date.now() - t < 30000; ) status = m.waitChild(pid);
out.child = status;
console.log(JSON.stringify(out));
