// The connection registry: `ansible_connection` name → transport. Adding a connection is one file
// (usually a ChannelConnection subclass naming the process that runs `sh`, see nsenter.ts) and one
// line here. Transports are imported only when a host uses them.
import type { Connection, ConnectionSpec } from './types.js';

export interface ConnectionType {
  /** One line for docs and error messages. */
  readonly summary: string;
  /**
   * `become` can switch user: the transport starts its channel under `sudo -n -u USER` when the
   * spec asks (become as a separate channel per user). Transports without it run tasks as the
   * channel's user whatever `become:` says.
   */
  readonly become: boolean;
  /** Opening costs a handshake worth starting while the playbook loads (engine/prestart.ts). */
  readonly prestart: boolean;
  /** Loads the transport and makes a connection (not opened). */
  create(spec: ConnectionSpec): Promise<Connection>;
}

const TYPES: Record<string, ConnectionType> = {
  local: {
    summary: 'the control node itself (/bin/sh per request)',
    become: false,
    prestart: false,
    create: async (spec) => new (await import('./local.js')).LocalConnection(spec.name, spec.trace),
  },
  ssh: {
    summary: 'OpenSSH: one persistent channel per host (ansible_host, ansible_user, ansible_port, keys, ssh args)',
    become: true,
    prestart: true,
    create: async (spec) => new (await import('./ssh.js')).SshConnection(spec),
  },
  nsenter: {
    summary: "Linux namespaces of a local process (ansible_host: its PID): a container or lab host without sshd; needs root",
    become: true,
    prestart: true,
    create: async (spec) => new (await import('./nsenter.js')).NsenterConnection(spec),
  },
};

/** Every registered connection name, sorted. */
export function connectionNames(): string[] {
  return Object.keys(TYPES).sort();
}

export function isConnectionName(name: string): boolean {
  return Object.hasOwn(TYPES, name);
}

/** The transport of a name (undefined when none is registered). */
export function connectionType(name: string): ConnectionType | undefined {
  return isConnectionName(name) ? TYPES[name] : undefined;
}

/** Creates the connection a spec names. The name was validated when the inventory or play was loaded. */
export async function createConnection(spec: ConnectionSpec): Promise<Connection> {
  const t = connectionType(spec.connection);
  if (!t) throw new Error(`no connection type '${spec.connection}' (known: ${connectionNames().join(', ')})`);
  return t.create(spec);
}

/** Registers a transport from outside the tree (a plugin): the name must be new. */
export function registerConnection(name: string, type: ConnectionType): void {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`connection name '${name}' must be lower-case letters, digits, _`);
  if (isConnectionName(name)) throw new Error(`connection '${name}' is already registered`);
  TYPES[name] = type;
}
