// Every connection with something running (a channel process, a local request), of every kind, so
// a SIGINT/SIGTERM handler can close them all (bin/bosun.ts).
import type { Connection } from './types.js';

export const openConnections = new Set<Connection>();

/** Closes every open connection, whatever its transport. Never throws. */
export async function closeAll(): Promise<void> {
  await Promise.all([...openConnections].map((c) => c.close().catch(() => {})));
}
