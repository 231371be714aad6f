// SPDX-License-Identifier: Apache-2.0
// The smallest Kubernetes API client the peer watch needs: in-cluster
// credentials and one GET, with Node's own http/https (no client library:
// fastpathd runs as root on every node, and this is ~100 lines we can read).
// Responses are untrusted: every body is read with a size cap, every
// request stops when nothing arrives for a while, and an AbortSignal ends
// it at once (stop() must leave no socket behind).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export interface KubeConnection {
  /** https://10.96.0.1:443 in a cluster; http://127.0.0.1:PORT in tests. */
  baseUrl: string;
  /** The bearer token, asked before each request: the kubelet rotates projected service-account tokens. */
  token?: () => Promise<string>;
  /** PEM CA bundle that signed the API server's certificate (https only). */
  ca?: string | Buffer;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own view of the API server (KUBERNETES_SERVICE_HOST/PORT and its service account). */
export function inClusterConnection(env: Readonly<Record<string, string | undefined>> = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('not in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  if (!/^\d{1,5}$/.test(port) || !/^[A-Za-z0-9.:-]+$/.test(host)) throw new Error(`KUBERNETES_SERVICE_HOST/PORT look wrong: ${JSON.stringify(`${host}:${port}`)}`);
  return {
    baseUrl: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    token: async () => (await readFile(`${dir}/token`, 'utf8')).trim(),
  };
}

export class KubeHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Connections end with their request (no keep-alive pool to outlive stop()); destroy() ends the rest. */
export function makeAgent(conn: KubeConnection): http.Agent {
  return conn.baseUrl.startsWith('https:')
    ? new https.Agent({ keepAlive: false, ...(conn.ca !== undefined ? { ca: conn.ca } : {}) })
    : new http.Agent({ keepAlive: false });
}

/**
 * GET path; resolves with the response once its headers arrived (any
 * status: the caller decides). idleMs: the request fails when no byte came
 * for that long, headers and body alike.
 */
export async function kubeGet(conn: KubeConnection, agent: http.Agent, path: string, idleMs: number, signal: AbortSignal): Promise<http.IncomingMessage> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = conn.token ? await conn.token() : '';
  if (token !== '') headers.authorization = `Bearer ${token}`;
  signal.throwIfAborted();
  const url = new URL(path, conn.baseUrl);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', headers, agent, signal });
    req.setTimeout(idleMs, () => req.destroy(new Error(`no data from the API server for ${idleMs} ms`)));
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

/** The whole body, or an error (and the connection dropped) past max bytes. */
export function readBody(res: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let len = 0;
    res.on('data', (c: Buffer) => {
      len += c.length;
      if (len > max) {
        res.destroy();
        reject(new Error(`response body over ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => reject(new Error('connection closed before the end of the response')));
  });
}

/** A short, printable excerpt of what the server said, for a log line. */
export function excerpt(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
