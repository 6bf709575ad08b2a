// The shop's web server: counts its hits in Redis and shows the worker's ticks.
import { createServer } from 'node:http';
import { redis } from './redis.mjs';

const db = redis(Number(process.env.REDIS_PORT ?? 6437));
const server = createServer(async (_req, res) => {
  const hits = await db.send('INCR', 'hits');
  const ticks = (await db.send('GET', 'ticks')) ?? '0';
  res.end(`hits ${hits}, worker ticks ${ticks}\n`);
});
server.listen(Number(process.env.PORT ?? 8437), '127.0.0.1', () =>
  console.log(`web: listening on ${server.address().port}`),
);
process.on('SIGTERM', () => {
  server.close();
  db.socket.end();
  console.log('web: stopped');
});
