import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Roles an API key can carry. `admin` may read every user's jobs. */
export type ApiKeyRole = 'user' | 'admin';

/** One configured API key, stored only as a SHA-256 digest. */
export interface ApiKeyRecord {
  /** Hex SHA-256 of the key; the key itself is never stored or logged. */
  hash: string;
  userId: string;
  role: ApiKeyRole;
  /** Optional tier name (e.g. for fairness weights or limits). */
  tier?: string;
}

/** The identity a request authenticated as. */
export interface ApiKeyIdentity {
  userId: string;
  role: ApiKeyRole;
  tier?: string;
  /** Stable, non-secret id of the key (a digest prefix), for rate limiting and logs. */
  keyId: string;
}

const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only');

const recordSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256 digest (see `npm run api-key`)'),
  user_id: userIdSchema,
  role: z.enum(['user', 'admin']).default('user'),
  tier: z.string().min(1).max(64).optional(),
});

/** SHA-256 hex digest of an API key: what configuration stores instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (256 bits, URL-safe). */
export function generateApiKey(): string {
  return `af_${randomBytes(32).toString('base64url')}`;
}

/**
 * Parses `API_KEYS` (`<sha256>:<user_id>[:<role>[:<tier>]]`, comma separated) and/or the JSON
 * file named by `API_KEYS_FILE` (`[{hash, user_id, role?, tier?}]`). Throws naming the variable.
 */
export function loadApiKeys(sources: { inline?: string; file?: string }): ApiKeyRecord[] {
  const raw: unknown[] = [];
  if (sources.inline) {
    for (const entry of sources.inline
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [hash, user_id, role, tier] = entry.split(':');
      raw.push({ hash, user_id, role: role || undefined, tier: tier || undefined });
    }
  }
  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, 'utf8'));
    } catch (err) {
      throw new Error(
        `API_KEYS_FILE: cannot read a JSON array from ${sources.file} (${(err as Error).message})`,
        { cause: err },
      );
    }
    if (!Array.isArray(parsed)) throw new Error('API_KEYS_FILE: must contain a JSON array');
    raw.push(...(parsed as unknown[]));
  }
  const records: ApiKeyRecord[] = [];
  raw.forEach((item, index) => {
    const result = recordSchema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(`API_KEYS entry ${index + 1}: ${issue.path.join('.')}: ${issue.message}`);
    }
    records.push({
      hash: result.data.hash,
      userId: result.data.user_id,
      role: result.data.role,
      ...(result.data.tier ? { tier: result.data.tier } : {}),
    });
  });
  return records;
}

/** Looks presented keys up by digest, comparing in constant time. */
export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyRecord>();

  constructor(records: ApiKeyRecord[]) {
    for (const record of records) this.byHash.set(record.hash, record);
  }

  /** True when at least one key is configured (otherwise the API runs in open mode). */
  get enabled(): boolean {
    return this.byHash.size > 0;
  }

  /** The identity of a presented key, or undefined when it is unknown. */
  authenticate(presented: string): ApiKeyIdentity | undefined {
    const digest = hashApiKey(presented);
    const record = this.byHash.get(digest);
    // The map lookup finds the candidate; the digest comparison itself is constant-time.
    if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(digest, 'hex'))) {
      return undefined;
    }
    return {
      userId: record.userId,
      role: record.role,
      keyId: digest.slice(0, 12),
      ...(record.tier ? { tier: record.tier } : {}),
    };
  }
}
