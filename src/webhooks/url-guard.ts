/**
 * The SSRF guard of completion webhooks: a callback URL is accepted only when it starts with one
 * of the operator's allowed prefixes. Checked when the job is submitted and again by the
 * delivering activity (configuration may have changed in between).
 */

/** Why a URL is refused, or undefined when it is allowed. */
export function webhookUrlProblem(url: string, prefixes: readonly string[]): string | undefined {
  if (prefixes.length === 0) {
    return 'webhooks are not enabled on this server (WEBHOOK_ALLOWED_URL_PREFIXES is empty)';
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be http(s)';
  // Credentials in the URL would be written into the job's history and sent on every attempt.
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials';
  // Compare the normalised form, so `HTTP://Host:443/..` cannot slip past a prefix by spelling.
  const href = parsed.href;
  const allowed = prefixes.some((prefix) => matchesPrefix(href, normalisePrefix(prefix)));
  return allowed ? undefined : 'is not under an allowed webhook URL prefix';
}

function normalisePrefix(prefix: string): string {
  try {
    const parsed = new URL(prefix);
    // `new URL('https://h')` adds a trailing slash; keep the prefix as precise as it was written.
    return prefix.endsWith('/') || parsed.pathname !== '/' ? parsed.href : parsed.origin;
  } catch {
    return prefix;
  }
}

/**
 * A prefix matches only at a boundary: `https://hooks.example.com` must not admit
 * `https://hooks.example.com.evil.net/`, nor `https://h/api` admit `https://h/api-admin`.
 */
function matchesPrefix(href: string, prefix: string): boolean {
  if (!href.startsWith(prefix)) return false;
  if (prefix.endsWith('/')) return true;
  const next = href.charAt(prefix.length);
  return next === '' || next === '/' || next === '?' || next === '#';
}
