import { ConfigError } from '../config';

/**
 * Reports a start-up failure in one clear line (a config error lists every bad variable) and
 * exits non-zero. Stacks are printed only with DEBUG set, to keep secrets and noise out.
 */
export function exitOnStartupError(role: string): (err: unknown) => void {
  return (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${role}: failed to start: ${message}\n`);
    if (process.env.DEBUG && !(err instanceof ConfigError) && err instanceof Error && err.stack) {
      process.stderr.write(`${err.stack}\n`);
    }
    process.exit(1);
  };
}
