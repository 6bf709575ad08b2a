// Unit tests for the signal router (src/sys/signals.ts) and blocking waits (src/sys/blocking.ts),
// each in a node of its own: what a signal does is the whole process's business.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.mjs';

const SIGNALS = join(ROOT, 'dist', 'sys', 'signals.js');
const BLOCKING = join(ROOT, 'dist', 'sys', 'blocking.js');
const NATIVE = join(ROOT, 'dist', 'sys', 'native.js');

/** Run an ES module's text in a fresh node: { code, signal, out }. `poke(child)` once it prints
 *  "ready". */
function script(text, poke) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', text], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (poke && out.includes('ready\n')) {
        poke(child);
        poke = null;
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('signal routing', () => {
  test('a signal caught while routed but not yet dispatched when the route goes still ends the process (never dropped, as removing a listener drops it)', async () => {
    const r = await script(`
      import { routeSignals } from ${JSON.stringify(SIGNALS)};
      const unroute = routeSignals({ SIGINT: () => console.log('routed') });
      process.kill(process.pid, 'SIGINT'); // caught now, dispatched from the event loop
      unroute();                            // before that
      setTimeout(() => console.log('alive'), 300);
    `);
    assert.deepEqual([r.signal, r.out], ['SIGINT', '']);
  });

  test('the latest route wins; unrouted, it is the one before; with none, the signal ends the process', async () => {
    const r = await script(`
      import { routeSignals } from ${JSON.stringify(SIGNALS)};
      const send = () => new Promise((resolve) => { process.kill(process.pid, 'SIGTERM'); setTimeout(resolve, 50); });
      const first = routeSignals({ SIGTERM: () => console.log('first') });
      const second = routeSignals({ SIGTERM: () => console.log('second') });
      await send();
      second();
      await send();
      first();
      await send();
      console.log('alive');
    `);
    assert.deepEqual([r.signal, r.out], ['SIGTERM', 'second\nfirst\n']);
  });

  test("a listener of the program's own keeps the signal: an unrouted one does not end the process then", async () => {
    const r = await script(`
      import { catchSignals } from ${JSON.stringify(SIGNALS)};
      catchSignals(['SIGHUP']);
      process.on('SIGHUP', () => console.log('mine'));
      process.kill(process.pid, 'SIGHUP');
      setTimeout(() => console.log('alive'), 50);
    `);
    assert.deepEqual([r.code, r.signal, r.out], [0, null, 'mine\nalive\n']);
  });
});

describe('defaultSignalsDuring', () => {
  test('a signal during a blocking wait ends the process at once (the wait would have lasted 20 s); routes and dispositions come back after', async () => {
    const blocked = await script(
      `
      import { catchSignals } from ${JSON.stringify(SIGNALS)};
      import { defaultSignalsDuring } from ${JSON.stringify(BLOCKING)};
      import { pidfdOpen, pidfdWaitSync } from ${JSON.stringify(NATIVE)};
      catchSignals();
      const self = pidfdOpen(process.pid);
      console.log('ready');
      defaultSignalsDuring(() => pidfdWaitSync([self], 20000));
      console.log('waited');
    `,
      (child) => setTimeout(() => child.kill('SIGINT'), 100),
    );
    assert.deepEqual([blocked.signal, blocked.out], ['SIGINT', 'ready\n']);

    const after = await script(`
      import { catchSignals, routeSignals } from ${JSON.stringify(SIGNALS)};
      import { defaultSignalsDuring } from ${JSON.stringify(BLOCKING)};
      catchSignals();
      routeSignals({ SIGUSR2: () => console.log('routed') });
      defaultSignalsDuring(() => undefined); // SIGUSR2 is routed: left caught; the others restored
      process.kill(process.pid, 'SIGUSR2');
      process.kill(process.pid, 'SIGINT'); // caught again: acted on from the loop, after 'routed'
      setTimeout(() => console.log('alive'), 300);
    `);
    assert.deepEqual([after.signal, after.out], ['SIGINT', 'routed\n']);
  });
});
