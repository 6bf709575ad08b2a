// The bench's HTTP server for rolling restarts, the same file under both contenders: on fd 3
// under daemonkit (--listen; ready on fd 4 once it accepts), on $PORT under PM2's cluster mode
// (the cluster module shares the port). SIGTERM (daemonkit's stop) and SIGINT (pm2 reload's):
// stop accepting, answer what was taken, exit.
const fs = require('node:fs');
const http = require('node:http');

const server = http.createServer((_req, res) => {
  res.setHeader('connection', 'close');
  res.end(`${process.pid}\n`);
});
const daemonkit = process.env.LISTEN_FDS !== undefined;
server.listen(daemonkit ? { fd: 3 } : { port: Number(process.env.PORT), host: '127.0.0.1' }, () => {
  if (!daemonkit) return;
  try {
    fs.writeSync(4, '\n');
    fs.closeSync(4);
  } catch {
    // no --ready fd:4
  }
});
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => server.close(() => process.exit(0)));
