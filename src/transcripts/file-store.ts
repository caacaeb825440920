import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredToolOutput, TranscriptStore } from './types';

/** A file name for an id of any charset (job ids hold `~`, tool ids come from the model). */
function safeName(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown }).code === code;
}

/** Reads `file`, or undefined when it does not exist. */
async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Writes `text` to `file` unless it exists, atomically: written to a temporary file, then
 * hard-linked into place (link fails if the name exists), so a reader never sees half a file and
 * two writers of the same key leave exactly the first one's text. Returns the stored text.
 */
async function writeOnce(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text, 'utf8');
  try {
    await link(tmp, file);
    return text;
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
    return (await readIfExists(file)) ?? text;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * The embedded transcript store: files under `dir`, one directory per job. Every worker that
 * runs a job's model or tool calls must see the same directory, so it serves one machine
 * (`npm start`); several machines need the PostgreSQL store (TRANSCRIPT_DATABASE_URL).
 */
export function createFileTranscriptStore(dir: string): TranscriptStore {
  const jobDir = (jobId: string) => path.join(dir, safeName(jobId));
  const entryFile = (jobId: string, seq: number) =>
    path.join(jobDir(jobId), `entry-${String(seq).padStart(6, '0')}.json`);
  const toolFile = (jobId: string, toolUseId: string) =>
    path.join(jobDir(jobId), `tool-${safeName(toolUseId)}.json`);
  return {
    kind: 'file',
    putEntry: (jobId, seq, json) => writeOnce(entryFile(jobId, seq), json),
    async entries(jobId, count) {
      const found: string[] = [];
      for (let seq = 0; seq < count; seq++) {
        const text = await readIfExists(entryFile(jobId, seq));
        if (text === undefined) break;
        found.push(text);
      }
      return found;
    },
    async putToolOutput(jobId, toolUseId, output) {
      const text = await writeOnce(toolFile(jobId, toolUseId), JSON.stringify(output));
      return JSON.parse(text) as StoredToolOutput;
    },
    async toolOutputs(jobId, toolUseIds) {
      const found = new Map<string, StoredToolOutput>();
      for (const id of toolUseIds) {
        const text = await readIfExists(toolFile(jobId, id));
        if (text !== undefined) found.set(id, JSON.parse(text) as StoredToolOutput);
      }
      return found;
    },
    close: () => Promise.resolve(),
  };
}
