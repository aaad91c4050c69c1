/**
 * `vzmaster console`'s HTTP server: Node's own http (a handful of routes do not need a framework), bound to
 * 127.0.0.1 only. Every request passes auth.ts first; answers are JSON (errors as {error}) or the one page.
 * Routes: GET / (the page; ?token= sets the cookie and redirects to a clean URL), GET /api/overview, GET /api/events,
 * GET /api/logs?app=, POST /api/action. One action at a time: a second is refused while the first runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VzError } from '../../base/errors.ts';
import type { VzConfig } from '../config/schema.ts';
import { type Action, actionSchema, ConsoleApi } from './api.ts';
import { admit, COOKIE, sameToken } from './auth.ts';
import { PAGE } from './page.ts';

const MAX_BODY = 16 * 1024;

export interface ConsoleServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'",
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new VzError('usage', `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new VzError('usage', 'the request body is not JSON');
  }
}

const statusOf = (error: unknown) => (error instanceof VzError ? ({ usage: 400, 'not-found': 404, locked: 409, exists: 409 } as Record<string, number>)[error.code] ?? 500 : 500);

export async function startConsole(config: VzConfig, options: { port: number; token: string; log?: (line: string) => void }): Promise<ConsoleServer> {
  const api = new ConsoleApi(config);
  let acting: string | undefined;
  let port = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    // The first visit: the token from the printed URL becomes a cookie, and the URL loses it (history, screenshots).
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      if (!sameToken(url.searchParams.get('token') ?? undefined, options.token)) return send(res, 401, { error: 'wrong token: open the URL vzmaster console printed' });
      return send(res, 303, '', { Location: '/', 'Set-Cookie': `${COOKIE}=${options.token}; HttpOnly; SameSite=Strict; Path=/` });
    }
    const verdict = admit(req, options.token, port);
    if (!verdict.ok) return send(res, verdict.status, { error: verdict.error });
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE);
    if (req.method === 'GET' && url.pathname === '/api/overview') return send(res, 200, await api.overview());
    if (req.method === 'GET' && url.pathname === '/api/events') {
      const count = Math.min(500, Math.max(1, Number(url.searchParams.get('count') ?? 50) || 50));
      return send(res, 200, { events: api.events(count) });
    }
    if (req.method === 'GET' && url.pathname === '/api/logs') {
      const lines = Math.min(1000, Math.max(1, Number(url.searchParams.get('lines') ?? 30) || 30));
      return send(res, 200, { hosts: await api.logs(url.searchParams.get('app') ?? '', lines) });
    }
    if (req.method === 'POST' && url.pathname === '/api/action') {
      const parsed = actionSchema.safeParse(await readBody(req));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return send(res, 400, { error: `field "${issue.path.join('.') || '(body)'}": ${issue.message}` });
      }
      if (acting) return send(res, 409, { error: `${acting} is running: wait for it to end` });
      const action: Action = parsed.data;
      acting = `${action.action} ${action.app}${action.host ? ` on ${action.host}` : ''}`;
      options.log?.(`console: ${acting}`);
      try {
        return send(res, 200, await api.act(action));
      } finally {
        acting = undefined;
      }
    }
    if (['/', '/api/overview', '/api/events', '/api/logs', '/api/action'].includes(url.pathname)) return send(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
    return send(res, 404, { error: `no such page: ${url.pathname}` });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, statusOf(error), { error: error instanceof Error ? error.message : String(error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new VzError('usage', error.code === 'EADDRINUSE' ? `console: port ${options.port} on 127.0.0.1 is taken: choose another with --port` : `console: ${error.message}`)),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}/?token=${options.token}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
