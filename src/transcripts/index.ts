export { openTranscriptStore } from './open-store';
export { createFileTranscriptStore } from './file-store';
export { openPostgresTranscriptStore } from './postgres-store';
export type { StoredToolOutput, TranscriptStore } from './types';
