import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { StreamHub } from './stream-hub';
import { startStreamServer, type StreamServerHandle } from './stream-server';

/**
 * Starts an activity worker's live-text hub and server (STREAM_PORT on STREAM_HOST, reads signed
 * with STREAM_SECRET when one is configured). If the port is
 * taken — several workers on one machine, as with `npm start` — it falls back to an ephemeral
 * port: the worker's identity names the URL (worker-identity.ts), so any port works. Streaming is a
 * nicety: on any failure the worker runs without it (SSE then shows text per finished call).
 */
export async function startLiveTextServer(
  config: AppConfig,
  logger: Logger,
): Promise<{ hub: StreamHub; server?: StreamServerHandle }> {
  const hub = new StreamHub({ maxChars: config.claude.maxResponseChars });
  if (config.agent.streamPort === 0) return { hub };
  const options = {
    hub,
    host: config.agent.streamHost,
    ...(config.agent.streamSecret !== undefined ? { secret: config.agent.streamSecret } : {}),
    ...(config.agent.streamAdvertiseUrl ? { advertiseUrl: config.agent.streamAdvertiseUrl } : {}),
  };
  try {
    const server = await startStreamServer({ ...options, port: config.agent.streamPort });
    logger.info(
      { url: server.url, signed: 'secret' in options },
      'live-text stream server listening',
    );
    return { hub, server };
  } catch (err) {
    if (config.agent.streamAdvertiseUrl) {
      logger.warn({ err }, 'live-text stream server not started; SSE will not stream live text');
      return { hub };
    }
    try {
      const server = await startStreamServer({ ...options, port: 0 });
      logger.info(
        { url: server.url, signed: 'secret' in options },
        'live-text stream server listening (ephemeral port)',
      );
      return { hub, server };
    } catch (again) {
      logger.warn({ err: again }, 'live-text stream server not started');
      return { hub };
    }
  }
}
