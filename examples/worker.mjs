#!/usr/bin/env node
// A Daemon subclass: the classic "generic Daemon class", done right.
//   node examples/worker.mjs start|stop|restart|status|run
// Options from the environment so tests can point it anywhere: WORKER_NAME, WORKER_FAIL,
// WORKER_RESTART (a restart policy: the daemon then supervises a worker copy that runs run()).
import { Daemon } from 'daemonkit';

class Worker extends Daemon {
  async run(signal) {
    if (process.env.WORKER_FAIL === 'before-ready')
      throw new Error('cannot read the configuration');
    console.log(`worker ${process.pid}: up in ${process.cwd()}`);
    this.ready(); // the launcher returns now
    const fail = process.env.WORKER_FAIL;
    if (fail === 'after-ready')
      await new Promise((_, reject) =>
        setTimeout(() => reject(new Error('lost the database')), 200),
      );
    if (fail === 'uncaught')
      setTimeout(() => {
        throw new Error('a bug');
      }, 200);
    if (fail === 'return') return;
    let beats = 0;
    const timer = setInterval(() => console.log(`worker: heartbeat ${++beats}`), 1000);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    clearInterval(timer);
    console.log(`worker: stopping after ${beats} heartbeats (alive=${this.alive})`);
  }

  onReload() {
    console.log('worker: reloading configuration');
  }
}

const restart = process.env.WORKER_RESTART
  ? { restart: process.env.WORKER_RESTART, restartDelay: '50ms', graceMs: 200 }
  : {};
await new Worker({
  name: process.env.WORKER_NAME ?? 'worker',
  waitForReady: true,
  verbose: 1,
  ...restart,
}).main();
