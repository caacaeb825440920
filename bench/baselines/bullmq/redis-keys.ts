/** Removes every Redis key of one baseline run (its unique prefix), so runs leave nothing behind. */
import Redis from 'ioredis';

/** Deletes keys matching `${prefix}:*` with SCAN (never KEYS: it blocks a shared Redis). */
export async function deleteKeysWithPrefix(
  host: string,
  port: number,
  prefix: string,
): Promise<number> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    // Bounded: SCAN visits each key once; stop after a generous number of rounds anyway.
    for (let round = 0; round < 100_000; round += 1) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
