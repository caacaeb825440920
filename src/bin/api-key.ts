import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generateApiKey, hashApiKey } from '../security/api-keys';
import { exitOnStartupError } from './startup-error';

const argsSchema = z.object({
  user: z
    .string({ error: '--user is required' })
    .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, '--user: letters, digits and . _ @ : + - only'),
  role: z.enum(['user', 'admin'], { error: '--role must be user or admin' }).default('user'),
});

/**
 * `npm run api-key -- --user alice [--role admin]`: creates an API key, prints it once, and
 * prints the digest entry to add to API_KEYS (the key itself is never stored by the service).
 */
function main(): void {
  const { values } = parseArgs({ options: { user: { type: 'string' }, role: { type: 'string' } } });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success)
    throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  const key = generateApiKey();
  process.stdout.write(
    `API key (shown once; give it to ${parsed.data.user}):\n  ${key}\n` +
      `Add this entry to API_KEYS (comma-separated):\n  ${hashApiKey(key)}:${parsed.data.user}:${parsed.data.role}\n`,
  );
}

try {
  main();
} catch (err) {
  exitOnStartupError('api-key')(err);
}
