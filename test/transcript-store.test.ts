/**
 * The transcript stores on their own (files in a temporary directory; PostgreSQL in a database
 * this suite creates and drops): the first writer of a key wins and every writer reads it back,
 * concurrent writers agree, reads stop at the first missing entry, and the stored JSON keeps its
 * bytes (key order included: prompt caching needs the exact prefix).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createFileTranscriptStore, openPostgresTranscriptStore } from '../src/transcripts';
import type { TranscriptStore } from '../src/transcripts';
import { dropUsageDatabase } from '../src/usage/postgres-store';
import { TEST_POSTGRES_URL } from './helpers/stack';

/** JSON whose key order differs from sorted (and from jsonb's) order. */
const ENTRY = JSON.stringify([
  { role: 'user', content: [{ type: 'text', text: 'hi', z: 1, a: 2 }] },
]);

function storeContract(
  name: string,
  open: () => Promise<TranscriptStore>,
  done: () => Promise<void>,
) {
  describe(name, () => {
    let store: TranscriptStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
      await done();
    });

    it('keeps the first write of an entry, byte for byte, and returns it to later writers', async () => {
      const job = `job~${randomBytes(4).toString('hex')}`;
      expect(await store.putEntry(job, 0, ENTRY)).toBe(ENTRY);
      expect(await store.putEntry(job, 0, '[]')).toBe(ENTRY);
      expect(await store.entries(job, 1)).toEqual([ENTRY]);
    });

    it('lets concurrent writers of one entry agree on one value', async () => {
      const job = `job~${randomBytes(4).toString('hex')}`;
      const values = Array.from({ length: 8 }, (_, i) => JSON.stringify([{ writer: i }]));
      const stored = await Promise.all(values.map((v) => store.putEntry(job, 0, v)));
      expect(new Set(stored).size).toBe(1);
      expect(await store.entries(job, 1)).toEqual([stored[0]]);
    });

    it('reads entries in order and stops at the first one missing', async () => {
      const job = `job~${randomBytes(4).toString('hex')}`;
      await store.putEntry(job, 1, '[1]');
      await store.putEntry(job, 0, '[0]');
      await store.putEntry(job, 3, '[3]');
      expect(await store.entries(job, 4)).toEqual(['[0]', '[1]']);
      expect(await store.entries(job, 1)).toEqual(['[0]']);
      expect(await store.entries('no-such-job', 2)).toEqual([]);
    });

    it('keeps the first output of a tool call and finds outputs by id', async () => {
      const job = `job~${randomBytes(4).toString('hex')}`;
      const first = { output: 'x'.repeat(20_000), isError: false };
      expect(await store.putToolOutput(job, 'toolu_1', first)).toEqual(first);
      expect(await store.putToolOutput(job, 'toolu_1', { output: 'late', isError: true })).toEqual(
        first,
      );
      await store.putToolOutput(job, 'toolu_2', { output: 'bad', isError: true });
      const found = await store.toolOutputs(job, ['toolu_1', 'toolu_2', 'toolu_3']);
      expect([...found.keys()].sort()).toEqual(['toolu_1', 'toolu_2']);
      expect(found.get('toolu_2')).toEqual({ output: 'bad', isError: true });
    });
  });
}

let dir = '';
storeContract(
  'file transcript store',
  async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'af-transcript-store-'));
    return createFileTranscriptStore(dir);
  },
  () => rm(dir, { recursive: true, force: true }),
);

const url = `${TEST_POSTGRES_URL}/af_transcripts_${randomBytes(6).toString('hex')}`;
storeContract(
  'PostgreSQL transcript store',
  () => openPostgresTranscriptStore({ url, poolSize: 4, logger: pino({ level: 'silent' }) }),
  () => dropUsageDatabase(url),
);
