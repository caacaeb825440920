/** The TCP sockets processes listen on, read from Linux's /proc (no `ss`/`lsof` needed). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One listening TCP socket of a process. */
export interface ListeningSocket {
  pid: number;
  /** Printable local address (`127.0.0.1`, `0.0.0.0`, `::`, `::1`, …). */
  address: string;
  port: number;
  /** True when only this machine can connect (127.0.0.0/8, ::1, ::ffff:127.x). */
  loopback: boolean;
}

/** `0100007F` (little-endian 32-bit words, as /proc/net/tcp prints them) → bytes. */
function hexWordsToBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(chunk.slice(i, i + 2), 16));
  }
  return bytes;
}

function describeAddress(bytes: number[]): { address: string; loopback: boolean } {
  if (bytes.length === 4) return { address: bytes.join('.'), loopback: bytes[0] === 127 };
  const v4Mapped =
    bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (v4Mapped) {
    const v4 = bytes.slice(12);
    return { address: `::ffff:${v4.join('.')}`, loopback: v4[0] === 127 };
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const address = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  const loopback = bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1;
  return { address, loopback };
}

/** Listening sockets by inode, from /proc/net/tcp and /proc/net/tcp6. */
function listeningByInode(): Map<string, { address: string; port: number; loopback: boolean }> {
  const byInode = new Map<string, { address: string; port: number; loopback: boolean }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // No IPv6 in this kernel.
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || state !== '0A' || !inode) continue; // 0A = LISTEN
      const [hexAddress, hexPort] = local.split(':');
      byInode.set(inode, {
        ...describeAddress(hexWordsToBytes(hexAddress!)),
        port: parseInt(hexPort!, 16),
      });
    }
  }
  return byInode;
}

/** Every TCP socket the given processes listen on (a process that has exited has none). */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const byInode = listeningByInode();
  const sockets: ListeningSocket[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const seen = new Set<string>();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // Closed meanwhile.
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode ? byInode.get(inode) : undefined;
      if (!socket || seen.has(inode!)) continue;
      seen.add(inode!);
      sockets.push({ pid, ...socket });
    }
  }
  return sockets;
}

/** The command line of a process, as its arguments. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
