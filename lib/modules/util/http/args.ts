// The request arguments get_url and uri share (Ansible's url_argument_spec), declared once.

import type { ArgSchema } from '../../types.js';
import type { FollowRedirects, HttpRequest } from './request.js';

export interface HttpRequestArgs {
  url: string;
  headers?: Record<string, unknown>;
  url_username?: string;
  url_password?: string;
  force_basic_auth: boolean;
  timeout: number;
  validate_certs: boolean;
  use_proxy: boolean;
  ca_path?: string;
  client_cert?: string;
  client_key?: string;
}

export const HTTP_REQUEST_ARGS = {
  headers: { type: 'dict', description: 'Request headers. Authorization, Cookie and *-Token/-Key/-Secret values are masked in every output.' },
  url_username: { type: 'str', aliases: ['username'], description: 'User for HTTP basic authentication.' },
  url_password: { type: 'str', aliases: ['password'], secret: true, description: 'Password for basic authentication (masked; sent to the host on stdin, never in a command line).' },
  force_basic_auth: { type: 'bool', default: false, description: 'Send the credentials with the first request instead of waiting for a 401 challenge.' },
  timeout: { type: 'int', default: 10, description: 'Seconds to wait for the server (connect and each read).' },
  validate_certs: { type: 'bool', default: true, description: 'Verify the server\'s TLS certificate and name (false: accept any).' },
  use_proxy: { type: 'bool', default: true, description: 'Use the host\'s http_proxy/https_proxy/no_proxy environment variables.' },
  ca_path: { type: 'path', description: 'PEM file of CA certificates (on the host) to verify the server with, instead of the system\'s.' },
  client_cert: { type: 'path', description: 'PEM client certificate on the host (may hold the key too).' },
  client_key: { type: 'path', description: 'PEM private key of client_cert on the host.' },
} as const satisfies ArgSchema;

/** The request the host's client makes for these arguments (no method, body or redirect policy). */
export function requestOf(a: HttpRequestArgs, follow: FollowRedirects = 'safe'): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers ?? {})) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return {
    url: a.url,
    headers,
    user: a.url_username,
    password: a.url_password,
    force_basic_auth: a.force_basic_auth,
    timeout: a.timeout,
    validate_certs: a.validate_certs,
    use_proxy: a.use_proxy,
    ca_path: a.ca_path,
    client_cert: a.client_cert,
    client_key: a.client_key,
    follow,
  };
}
