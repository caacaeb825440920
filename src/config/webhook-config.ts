import type { EnvSettings } from './env-schema';

/** Completion webhooks (docs/webhooks.md). */
export interface WebhookConfig {
  /**
   * URL prefixes a `callback_url` must start with (SSRF guard). Empty: webhooks are off and any
   * `callback_url` is refused.
   */
  allowedUrlPrefixes: string[];
  /**
   * Standard Webhooks signing secret (`whsec_<base64>`), decoded to its key bytes. A secret:
   * never logged, never put in a workflow input (it would be written into the history).
   */
  secret?: Buffer;
  /** All delivery attempts and backoff of one webhook together. */
  maxDeliveryMs: number;
  /** Bound on one attempt (connect, send, read the status). */
  timeoutMs: number;
}

/** One invalid webhook setting. */
export interface WebhookConfigIssue {
  variable: string;
  message: string;
}

/** Decodes a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function decodeWebhookSecret(secret: string): Buffer | undefined {
  const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const key = Buffer.from(base64, 'base64');
  // Standard Webhooks asks for 24 to 64 random bytes.
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

/**
 * The webhook settings, or the issues found. Prefixes must be absolute http(s) URLs; with any
 * prefix set, a secret is required (an unsigned webhook cannot be told from a forged one).
 */
export function webhookConfig(e: EnvSettings): WebhookConfig | WebhookConfigIssue[] {
  const issues: WebhookConfigIssue[] = [];
  const prefixes = (e.WEBHOOK_ALLOWED_URL_PREFIXES ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const prefix of prefixes) {
    if (!/^https?:\/\/[^/?#@]+/i.test(prefix)) {
      issues.push({
        variable: 'WEBHOOK_ALLOWED_URL_PREFIXES',
        message: `"${prefix}" must start with http:// or https:// and a host`,
      });
    }
  }
  const secret = e.WEBHOOK_SECRET ? decodeWebhookSecret(e.WEBHOOK_SECRET) : undefined;
  if (e.WEBHOOK_SECRET && !secret) {
    issues.push({
      variable: 'WEBHOOK_SECRET',
      message: 'must be whsec_ followed by 24 to 64 bytes in base64',
    });
  } else if (prefixes.length > 0 && !secret) {
    issues.push({
      variable: 'WEBHOOK_SECRET',
      message: 'is required when WEBHOOK_ALLOWED_URL_PREFIXES is set',
    });
  }
  if (issues.length > 0) return issues;
  return {
    allowedUrlPrefixes: prefixes,
    ...(secret ? { secret } : {}),
    maxDeliveryMs: e.WEBHOOK_MAX_DELIVERY_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
  };
}
