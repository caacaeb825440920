import { z } from 'zod';
import { flagsFromSchema, helpRequested, parseFlags, type CommandUsage } from '../runtime/cli-args';
import { generateApiKey, hashApiKey } from '../security/api-keys';
import { exitOnStartupError } from './startup-error';

const argsSchema = z.object({
  user: z
    .string({ error: 'is required' })
    .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, 'letters, digits and . _ @ : + - only'),
  role: z.enum(['user', 'admin'], { error: 'must be user or admin' }).default('user'),
});

const USAGE: CommandUsage = {
  synopsis: 'npm run api-key -- --user <id> [--role user|admin]',
  summary:
    'Creates an API key, prints it once, and prints the digest entry to add to API_KEYS ' +
    '(the service stores only the digest).',
  flags: flagsFromSchema(argsSchema, {
    user: 'the user_id the key acts as (required)',
    role: 'user or admin',
  }),
  example: 'npm run api-key -- --user alice --role admin',
};

/**
 * `npm run api-key -- --user alice [--role admin]`: creates an API key, prints it once, and
 * prints the digest entry to add to API_KEYS (the key itself is never stored by the service).
 */
function main(): void {
  if (helpRequested(USAGE)) return;
  const { user, role } = parseFlags(argsSchema, process.argv.slice(2));
  const key = generateApiKey();
  process.stdout.write(
    `API key (shown once; give it to ${user}):\n  ${key}\n` +
      `Add this entry to API_KEYS (comma-separated):\n  ${hashApiKey(key)}:${user}:${role}\n`,
  );
}

try {
  main();
} catch (err) {
  exitOnStartupError('api-key')(err);
}
