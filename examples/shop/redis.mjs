// A Redis client in a few lines (RESP over one TCP connection): enough for INCR and GET.
import { connect } from 'node:net';

export function redis(port) {
  const socket = connect(port, '127.0.0.1');
  const waiting = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    // Integer (:N), simple (+OK), null ($-1) and bulk ($N) replies: one line or two.
    for (let m; (m = /^(?:[:+-]([^\r]*)|\$-1|\$\d+\r\n([^\r]*))\r\n/.exec(buffer)); ) {
      buffer = buffer.slice(m[0].length);
      waiting.shift()?.(m[1] ?? m[2] ?? null);
    }
  });
  const send = (...args) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(
        `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      );
    });
  return { send, socket };
}
