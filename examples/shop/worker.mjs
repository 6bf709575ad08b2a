// The shop's worker: one tick a second, counted in Redis.
import { redis } from './redis.mjs';

const db = redis(Number(process.env.REDIS_PORT ?? 6437));
const timer = setInterval(
  async () => console.log(`worker: tick ${await db.send('INCR', 'ticks')}`),
  1000,
);
process.on('SIGTERM', () => {
  clearInterval(timer);
  db.socket.end();
  console.log('worker: stopped');
});
