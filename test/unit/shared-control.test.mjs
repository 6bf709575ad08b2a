// The connection `up` keeps to a project's supervisor (ops/shared.ts Control): closing it for now
// after the supervisor went away must not leave node waiting for a 'connect' that never comes
// (node's unref of a socket without a handle adds a listener per call: 20 services printed
// node's MaxListenersExceededWarning when the supervisor was killed during `up`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Control } from '../../dist/ops/shared.js';

test('close() after the supervisor closed the connection adds no listener', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-control-'));
  const path = join(dir, 's.sock');
  const server = createServer((s) => s.destroy()); // the supervisor goes away at once
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  server.listen(path);
  await once(server, 'listening');
  const socket = connect(path);
  await once(socket, 'connect');
  const control = new Control(socket);
  await once(socket, 'close');
  assert.equal(control.closed, true);
  for (let i = 0; i < 20; i++) control.close();
  assert.equal(socket.listenerCount('connect'), 0);
  assert.equal(await control.request({ op: 'wait', name: 'x' }), null, 'a request: null');
});
